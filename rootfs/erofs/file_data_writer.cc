#include "rootfs/erofs/file_data_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "common/file_util.h"
#include "rootfs/erofs/format.h"

namespace strato::rootfs::erofs {

namespace {

UniqueFd OpenScratch(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return UniqueFd(fd);
  // Filesystems without O_TMPFILE: a named file, unlinked at once.
  std::string templ = dir + "/.strato-scratch-XXXXXX";
  fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) ThrowErrno("create scratch file in " + dir);
  ::unlink(templ.c_str());
  return UniqueFd(fd);
}

}  // namespace

bool TailCanBeInline(uint64_t size, size_t xattr_size) {
  uint64_t tail = size % kBlockSize;
  return tail > 0 && kExtendedInodeSize + xattr_size + tail <= kBlockSize;
}

FileDataWriter::FileDataWriter(ImageOutput& out, const std::string& scratch_dir)
    : out_(out), scratch_(OpenScratch(scratch_dir)), scratch_out_(scratch_.get(), 0) {}

void FileDataWriter::Begin(uint64_t size, bool inline_tail) {
  size_ = size;
  received_ = 0;
  inline_tail_ = inline_tail && size % kBlockSize != 0;
  full_bytes_ = inline_tail_ ? size - size % kBlockSize : size;
  current_ = FileData{};
  if (full_bytes_ > 0) {
    uint64_t block = out_.position() / kBlockSize;
    if (block > UINT32_MAX) throw Error("EROFS image would exceed 2^32 blocks");
    current_.blkaddr = static_cast<uint32_t>(block);
  }
  if (inline_tail_) {
    current_.tail_in_scratch = true;
    current_.tail_size = static_cast<uint32_t>(size % kBlockSize);
    current_.scratch_offset = scratch_out_.position();
  }
  active_ = true;
}

void FileDataWriter::Append(std::span<const uint8_t> bytes) {
  if (bytes.size() > size_ - received_) {
    throw Error("file data longer than its announced size of " + std::to_string(size_) + " bytes");
  }
  size_t to_data = 0;
  if (received_ < full_bytes_) {
    to_data = static_cast<size_t>(std::min<uint64_t>(bytes.size(), full_bytes_ - received_));
    out_.Write(bytes.data(), to_data);
  }
  if (to_data < bytes.size()) scratch_out_.Write(bytes.data() + to_data, bytes.size() - to_data);
  received_ += bytes.size();
  bytes_ += bytes.size();
}

FileData FileDataWriter::End() {
  if (!active_) throw Error("FileDataWriter::End without Begin");
  active_ = false;
  if (received_ != size_) {
    throw Error("file data ended after " + std::to_string(received_) + " of " +
                std::to_string(size_) + " bytes");
  }
  out_.PadToBlock();
  return current_;
}

void FileDataWriter::FinishData() {
  scratch_out_.Flush();
}

void FileDataWriter::ReadTail(const FileData& data, uint8_t* out) {
  if (PreadFull(scratch_.get(), out, data.tail_size, data.scratch_offset, "read scratch file") !=
      data.tail_size) {
    ThrowErrno("read scratch file", EIO);  // the scratch file is ours: short means I/O error
  }
}

}  // namespace strato::rootfs::erofs
