#include "shim/stdio/stdio_uri.h"

#include "common/error.h"

namespace strato::shim {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// URL percent-decoding; `plus_is_space` for query components (Go's url.ParseQuery).
std::string PercentDecode(const std::string& in, bool plus_is_space, const std::string& whole) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) throw Error("stdio '" + whole + "': bad percent-encoding");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && in[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

}  // namespace

StdioUri ParseStdioUri(const std::string& text) {
  StdioUri uri;
  if (text.empty()) return uri;
  std::string scheme;
  std::string rest = text;
  if (auto pos = text.find("://"); pos != std::string::npos && text.find('/') > pos) {
    scheme = text.substr(0, pos);
    rest = text.substr(pos + 3);
    // An authority ("host") part is not meaningful for local paths: require "scheme:///path".
    if (!rest.starts_with("/")) {
      throw Error("stdio '" + text + "': expected " + scheme + ":///absolute/path");
    }
  }
  std::string query;
  if (scheme == "binary") {
    if (auto q = rest.find('?'); q != std::string::npos) {
      query = rest.substr(q + 1);
      rest.erase(q);
    }
  }
  if (scheme.empty() || scheme == "fifo") {
    uri.kind = StdioUri::Kind::kFifo;
    uri.path = scheme.empty() ? rest : PercentDecode(rest, false, text);
  } else if (scheme == "file") {
    uri.kind = StdioUri::Kind::kFile;
    uri.path = PercentDecode(rest, false, text);
  } else if (scheme == "binary") {
    uri.kind = StdioUri::Kind::kBinary;
    uri.path = PercentDecode(rest, false, text);
    size_t start = 0;
    while (start < query.size()) {
      size_t amp = query.find('&', start);
      std::string item = query.substr(start, amp == std::string::npos ? amp : amp - start);
      start = amp == std::string::npos ? query.size() : amp + 1;
      if (item.empty()) continue;
      auto eq = item.find('=');
      uri.args.push_back(PercentDecode(item.substr(0, eq), true, text));
      if (eq != std::string::npos)
        uri.args.push_back(PercentDecode(item.substr(eq + 1), true, text));
    }
  } else {
    throw Error("stdio '" + text + "': unsupported scheme '" + scheme +
                "' (expected a FIFO path, fifo://, file:// or binary://)");
  }
  if (!uri.path.starts_with("/")) {
    throw Error("stdio '" + text + "': path must be absolute");
  }
  return uri;
}

}  // namespace strato::shim
