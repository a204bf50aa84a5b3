#pragma once
// Indexes the regular-file members of an uncompressed tar archive (an exported image), so their
// bytes can be read in place. Understands ustar names with prefix, GNU long names ('L') and PAX
// 'path' records; it reads headers only, with the header and PAX parsing of rootfs/tar (the
// strato_tar_format library). Layer contents are parsed by rootfs/tar's reader, not here.

#include <cstdint>
#include <map>
#include <string>

namespace strato::oci {

struct TarMember {
  uint64_t data_offset = 0;
  uint64_t size = 0;
};

// Members by normalised name (leading "./" removed). Names that are absolute or contain ".." are
// not indexed, so they can never be looked up. Throws strato::Error naming the archive and the
// byte offset of a corrupt header (bad checksum, bad number, data past end of file).
std::map<std::string, TarMember> IndexTarArchive(const std::string& path);

}  // namespace strato::oci
