/* clientele-announce PORT DEVICE-ID SYNC-PORT — send one (possibly forged)
 * discovery announcement to 127.0.0.1:PORT; with DEVICE-ID "garbage", send
 * random bytes instead. For tests of what discovery trusts (nothing). */
#include "clientele/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: clientele-announce PORT DEVICE-ID|garbage SYNC-PORT\n");
        return 2;
    }
    unsigned char buf[CL_ANNOUNCE_LEN + 100];
    size_t n = CL_ANNOUNCE_LEN;
    cl_device_id id;
    if (!strcmp(argv[2], "garbage")) {
        n = sizeof buf;
        cl_random(buf, n);
    } else if (cl_device_id_parse(argv[2], &id) == CL_OK) {
        cl_announce_encode(buf, &id, (uint16_t)atoi(argv[3]));
    } else {
        fprintf(stderr, "clientele-announce: %s\n", cl_errmsg());
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (sendto(fd, buf, n, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("clientele-announce");
        return 1;
    }
    close(fd);
    return 0;
}
