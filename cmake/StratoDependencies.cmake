# Every dependency comes from a Debian 12 package; scripts/setup.sh installs them.
find_package(nlohmann_json 3.10 REQUIRED)          # nlohmann-json3-dev
find_package(spdlog 1.10 REQUIRED)                 # libspdlog-dev
find_package(Protobuf 3.12 REQUIRED)               # libprotobuf-dev, protobuf-compiler
find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto) # libssl-dev (sha256 of blobs and layers)
find_package(ZLIB REQUIRED)                        # zlib1g-dev (tar+gzip layers)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp) # libseccomp-dev
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)       # libzstd-dev (tar+zstd layers)
if(STRATO_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)               # catch2 (2.x in bookworm)
endif()
