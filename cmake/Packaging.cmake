# `cpack -G DEB` in a build directory makes spoke_<version>_amd64.deb (scripts/package.sh):
# the server, its systemd units, /etc/spoke/spoke.env as a conffile, the NGINX and keepalived
# examples with keepalived's check script, and the documentation. packaging/debian/ holds the
# maintainer scripts (the `spoke` user is created in postinst).
include(GNUInstallDirs)

install(FILES systemd/spoke.service systemd/spoke.socket systemd/spoke-health.socket
              systemd/spoke-backup.service systemd/spoke-backup.timer
        DESTINATION lib/systemd/system COMPONENT server)
install(PROGRAMS scripts/backup scripts/restore DESTINATION lib/spoke COMPONENT server)
install(FILES scripts/backup-common.sh DESTINATION lib/spoke COMPONENT server)
install(FILES conf/spoke.env DESTINATION /etc/spoke COMPONENT server)
install(PROGRAMS conf/keepalived/spoke-check.sh DESTINATION lib/spoke COMPONENT server)
install(FILES conf/nginx/spoke.conf DESTINATION share/doc/spoke/examples/nginx COMPONENT server)
install(FILES conf/keepalived/keepalived.conf
        DESTINATION share/doc/spoke/examples/keepalived COMPONENT server)
install(FILES conf/prometheus/alerts.yml
        DESTINATION share/doc/spoke/examples/prometheus COMPONENT server)
install(FILES conf/grafana/spoke.json DESTINATION share/doc/spoke/examples/grafana COMPONENT server)
install(FILES README.md docs/api.md docs/architecture.md docs/compatibility.md
              docs/configuration.md docs/deployment.md docs/operations.md
        DESTINATION share/doc/spoke COMPONENT server)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME spoke)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "Spoke maintainers <spoke@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Spoke protobuf schema registry")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# adduser for postinst; curl for keepalived's check script.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, curl")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "protobuf-compiler")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/packaging/debian/conffiles ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
    ${CMAKE_SOURCE_DIR}/packaging/debian/prerm ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
