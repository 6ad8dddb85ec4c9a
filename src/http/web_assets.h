#pragma once
// The built web app (web/dist: the chat Mini App and the operator dashboard, one bundle) as a node
// serves it: index.html at the app's paths, hashed files under /assets/. Loaded once at start into
// memory (bounded), each file also gzip-compressed, so serving never touches the disk.
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace chrysalis::http {

struct WebAsset {
  std::string content_type;
  std::string body;
  std::string gzip;        // empty when compressing does not pay
  bool immutable = false;  // a content-hashed name: browsers may cache it for good
};

class WebAssets {
 public:
  static constexpr std::size_t kMaxFiles = 256;
  static constexpr std::size_t kMaxBytes = 32u << 20;

  // Reads `dir`/index.html and `dir`/assets/* (regular files only, no subfolders). Nothing found,
  // or over the bounds: serves nothing, and problem() says why.
  explicit WebAssets(std::filesystem::path dir);

  const WebAsset* index() const { return index_.body.empty() ? nullptr : &index_; }
  // `name` is what follows /assets/: one path segment of [A-Za-z0-9._-], not starting with '.'.
  const WebAsset* asset(std::string_view name) const;
  const std::string& problem() const { return problem_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::size_t files() const { return assets_.size() + (index() ? 1 : 0); }
  std::size_t bytes() const { return bytes_; }

 private:
  std::filesystem::path dir_;
  WebAsset index_;
  std::map<std::string, WebAsset, std::less<>> assets_;
  std::size_t bytes_ = 0;
  std::string problem_;
};

// Where the web app is: $CHRYSALIS_WEB_DIR, else web/dist next to the source tree the binary was
// built in (build/chrysalis -> ../web/dist), else ./web/dist.
std::filesystem::path default_web_dir();

// Gzip of `data` (RFC 1952) at the default level.
std::string gzip_compress(std::string_view data);

}  // namespace chrysalis::http
