/* The web page's files, compiled into the binary (tools/embed_assets.cmake). */
#ifndef CLIENTELE_HTTP_ASSETS_H
#define CLIENTELE_HTTP_ASSETS_H

#include <stddef.h>

struct cl_asset {
    const char *path;          /* "/app.js"; NULL ends the table */
    const char *content_type;
    const unsigned char *data;
    size_t len;
};

extern const struct cl_asset cl_assets[];

#endif
