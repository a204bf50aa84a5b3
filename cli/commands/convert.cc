// `strato convert LAYER.tar[.gz|.zst]|DIR -o OUT.erofs`: one layer to an EROFS image with the
// project's own writer (rootfs/convert.h). On a terminal a progress bar (bytes, rate, ETA) runs
// on stderr; a summary goes to stdout at the end.

#include "rootfs/convert.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "cli/command.h"
#include "cli/flag_parser.h"
#include "common/error.h"
#include "rootfs/tar/byte_source.h"

namespace strato::cli {

namespace {

constexpr double kMegabyte = 1e6;
constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(Clock::now()) {}

  void Update(const rootfs::ConvertProgress& p) {
    if (!enabled_) return;
    auto now = Clock::now();
    if (now - last_draw_ < kRedrawInterval) return;
    last_draw_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(p.input_done) / secs : 0;
    if (p.input_total > 0) {
      double frac =
          std::min(1.0, static_cast<double>(p.input_done) / static_cast<double>(p.input_total));
      int filled = static_cast<int>(frac * kBarWidth);
      double eta =
          rate > 0
              ? static_cast<double>(p.input_total - std::min(p.input_total, p.input_done)) / rate
              : 0;
      std::fprintf(stderr, "\r[%s%s] %3d%% %8.1f/%.1f MB %7.1f MB/s ETA %4.0fs %8llu entries",
                   std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(kBarWidth - filled), ' ').c_str(),
                   static_cast<int>(frac * 100), static_cast<double>(p.input_done) / kMegabyte,
                   static_cast<double>(p.input_total) / kMegabyte, rate / kMegabyte, eta,
                   static_cast<unsigned long long>(p.entries));
    } else {
      std::fprintf(stderr, "\r%8.1f MB %7.1f MB/s %8llu entries",
                   static_cast<double>(p.input_done) / kMegabyte, rate / kMegabyte,
                   static_cast<unsigned long long>(p.entries));
    }
    std::fflush(stderr);
    drawn_ = true;
  }

  void Done() {
    if (drawn_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_{};
};

}  // namespace

int RunConvert(const std::vector<std::string>& args) {
  FlagParser parser({
      {"output", true, false, "FILE", "EROFS image to write (required; -o works too)"},
      {"media-type", true, false, "TYPE", "OCI layer media type; checked against the data"},
      {"digest", true, false, "sha256:HEX", "layer digest: seeds the image UUID"},
      {"userxattr", false, false, "", "write user.overlay.* markers (overlay -o userxattr)"},
      {"quiet", false, false, "", "no progress bar and no summary"},
      {"help", false, false, "", "show this help"},
  });
  std::vector<std::string> normalized;
  for (const auto& a : args) normalized.push_back(a == "-o" ? "--output" : a);
  ParsedFlags flags = parser.Parse(normalized);
  if (flags.Has("help")) {
    std::printf(
        "usage: strato convert LAYER.tar[.gz|.zst]|DIR -o OUT.erofs\n\n"
        "Convert one OCI layer (tar, tar+gzip, tar+zstd) or an unpacked layer directory into an\n"
        "EROFS image. Whiteouts become overlayfs whiteouts.\n\nflags:\n%s",
        parser.HelpText().c_str());
    return 0;
  }
  if (flags.positionals().size() != 1)
    throw UsageError("expects exactly one LAYER or DIR argument");
  std::optional<std::string> output = flags.Get("output");
  if (!output || output->empty()) throw UsageError("missing -o OUT.erofs");
  const std::string& input = flags.positionals()[0];

  struct stat st {};
  if (::stat(input.c_str(), &st) != 0) ThrowErrno("stat " + input);
  rootfs::LayerSource source;
  if (S_ISDIR(st.st_mode)) {
    source = rootfs::LayerSource::Directory(input);
  } else {
    if (rootfs::DetectLayerFormat(input) == rootfs::LayerFormat::kErofs) {
      throw Error(input + ": already an EROFS image; attach it as it is");
    }
    source = rootfs::LayerSource::Tar(input, flags.Get("media-type").value_or(""),
                                      flags.Get("digest").value_or(""));
  }
  bool quiet = flags.Has("quiet");
  ProgressBar bar(!quiet && ::isatty(STDERR_FILENO) == 1);
  rootfs::ConvertOptions options;
  if (flags.Has("userxattr")) options.overlay_xattrs = rootfs::OverlayXattrNamespace::kUser;
  options.progress = [&](const rootfs::ConvertProgress& p) { bar.Update(p); };
  rootfs::ConvertResult r;
  try {
    r = rootfs::ConvertLayer(source, *output, options);
  } catch (...) {
    bar.Done();
    throw;
  }
  bar.Done();
  if (!quiet) {
    double rate = r.seconds > 0 ? static_cast<double>(r.input_bytes) / r.seconds / kMegabyte : 0;
    std::printf(
        "%s -> %s\n  %llu files, %llu directories, %llu symlinks, %llu special, %llu hardlinks, "
        "%llu whiteouts\n  %.1f MB read, %.1f MB file data, %.1f MB image, %.2f s, %.1f MB/s\n",
        input.c_str(), output->c_str(), static_cast<unsigned long long>(r.regular_files),
        static_cast<unsigned long long>(r.directories), static_cast<unsigned long long>(r.symlinks),
        static_cast<unsigned long long>(r.special_files),
        static_cast<unsigned long long>(r.hardlinks), static_cast<unsigned long long>(r.whiteouts),
        static_cast<double>(r.input_bytes) / kMegabyte,
        static_cast<double>(r.data_bytes) / kMegabyte,
        static_cast<double>(r.image_bytes) / kMegabyte, r.seconds, rate);
    if (r.dropped_xattrs > 0) {
      std::printf("  %llu xattrs dropped (overlay control or unsupported namespace)\n",
                  static_cast<unsigned long long>(r.dropped_xattrs));
    }
  }
  return 0;
}

}  // namespace strato::cli
