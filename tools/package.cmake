# Installing clientele like a Debian program: install() rules and the CPack
# configuration of the .deb.
#
#   cmake --build build --target package     -> build/clientele_VERSION-1_ARCH.deb
#   cmake --install build --prefix /usr/local   (without a package)
#
# What the package holds (paths under the package prefix /usr):
#   bin/clientele                                  the program
#   share/man/man1/clientele.1.gz                  the man page (docs/clientele.1)
#   lib/systemd/user/clientele.service             the systemd user unit (tools/clientele.service)
#   share/bash-completion/completions/clientele    bash completion (tools/clientele.bash-completion)
#   share/doc/clientele/                           README.md and docs/*.md
#
# Depends names the Debian 12 runtime packages of every library the binary
# links (found with `dpkg -S` on the .so files; tests/integration/test_package.sh
# checks that every NEEDED library of the built binary belongs to one of them).

include(GNUInstallDirs)

# --- the program ---
install(TARGETS clientele RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# --- the man page, compressed as Debian policy asks (gzip -9n: reproducible) ---
set(CLIENTELE_MAN_SRC ${CMAKE_SOURCE_DIR}/docs/clientele.1)
find_program(CLIENTELE_GZIP gzip)
if(CLIENTELE_GZIP)
  set(CLIENTELE_MAN_GZ ${CMAKE_BINARY_DIR}/clientele.1.gz)
  add_custom_command(OUTPUT ${CLIENTELE_MAN_GZ}
    COMMAND sh -c "${CLIENTELE_GZIP} -9nc \"$0\" > \"$1\"" ${CLIENTELE_MAN_SRC} ${CLIENTELE_MAN_GZ}
    DEPENDS ${CLIENTELE_MAN_SRC}
    COMMENT "Compressing the man page"
    VERBATIM)
  add_custom_target(clientele_manpage ALL DEPENDS ${CLIENTELE_MAN_GZ})
  install(FILES ${CLIENTELE_MAN_GZ} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${CLIENTELE_MAN_SRC} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# --- the systemd user unit: `systemctl --user enable --now clientele` ---
install(FILES ${CMAKE_SOURCE_DIR}/tools/clientele.service DESTINATION lib/systemd/user)

# --- bash completion, loaded on demand by bash-completion ---
install(FILES ${CMAKE_SOURCE_DIR}/tools/clientele.bash-completion
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions RENAME clientele)

# --- the documentation ---
file(GLOB CLIENTELE_DOCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CLIENTELE_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- CPack: one .deb ---
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME clientele)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "clientele")
set(CPACK_PACKAGE_CONTACT "clientele maintainers <maintainers@clientele.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline-first client book that syncs between your devices")
# The long description, one line per line of the control file.
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "clientele keeps a salesperson's companies, contacts, interactions, tasks\n"
  "and deals on every laptop, shows them in a small local web page, and syncs\n"
  "them peer to peer between paired devices over mutually authenticated TLS.\n"
  "No server, no account, no cloud. 'clientele serve' can run as a systemd\n"
  "user service.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Debian 12 (bookworm) runtime packages:
#   libc.so.6 -> libc6          liblmdb.so.0 -> liblmdb0      libcjson.so.1 -> libcjson1
#   libmbedtls.so.14 -> libmbedtls14    libmbedx509.so.1 -> libmbedx509-1
#   libmbedcrypto.so.7 -> libmbedcrypto7    libcivetweb.so.1 -> libcivetweb1
#   libexpat.so.1 -> libexpat1
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libc6 (>= 2.34), liblmdb0 (>= 0.9.24), libmbedtls14 (>= 2.28.0), libmbedx509-1 (>= 2.28.0), libmbedcrypto7 (>= 2.28.0), libcjson1 (>= 1.7.15), libcivetweb1 (>= 1.15), libexpat1 (>= 2.5.0)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion")

# `make package_source`: the sources without build trees or git metadata.
set(CPACK_SOURCE_GENERATOR TGZ)
set(CPACK_SOURCE_IGNORE_FILES "/[.]git/" "/build[^/]*/" "/node_modules/" "/out/")

include(CPack)
