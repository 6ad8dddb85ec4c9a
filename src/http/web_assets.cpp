#include "http/web_assets.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chrysalis::http {
namespace {

std::string content_type_of(const std::filesystem::path& file) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".webmanifest", "application/manifest+json"},
      {".map", "application/json"}, {".txt", "text/plain; charset=utf-8"}};
  auto it = types.find(file.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

bool is_asset_name(std::string_view name) {
  if (name.empty() || name.size() > 200 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

std::string read_whole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in.good() && !in.eof()) throw std::runtime_error("cannot read " + file.string());
  return out.str();
}

bool compressible(const std::string& type) {
  return type.starts_with("text/") || type.starts_with("application/json") || type == "image/svg+xml" ||
         type == "application/manifest+json";
}

}  // namespace

std::string gzip_compress(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

WebAssets::WebAssets(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir_ / "index.html", ec)) {
    problem_ = "the web app is not built: " + (dir_ / "index.html").string() + " is missing (run `make web`)";
    return;
  }
  auto load = [&](const std::filesystem::path& file, WebAsset& into) {
    into.body = read_whole(file);
    into.content_type = content_type_of(file);
    bytes_ += into.body.size();
    if (compressible(into.content_type) && into.body.size() > 512) {
      std::string packed = gzip_compress(into.body);
      if (packed.size() < into.body.size() * 9 / 10) into.gzip = std::move(packed);
    }
  };
  try {
    load(dir_ / "index.html", index_);
    if (std::filesystem::is_directory(dir_ / "assets", ec))
      for (const auto& entry : std::filesystem::directory_iterator(dir_ / "assets")) {
        std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || !is_asset_name(name)) continue;
        if (assets_.size() >= kMaxFiles) throw std::runtime_error("more than " + std::to_string(kMaxFiles) + " files");
        WebAsset& a = assets_[name];
        load(entry.path(), a);
        a.immutable = true;  // Vite names every emitted asset by its content hash
        if (bytes_ > kMaxBytes) throw std::runtime_error("more than " + std::to_string(kMaxBytes) + " bytes");
      }
  } catch (const std::exception& e) {
    problem_ = "the web app in " + dir_.string() + " is not served: " + e.what();
    index_ = {};
    assets_.clear();
    bytes_ = 0;
  }
}

const WebAsset* WebAssets::asset(std::string_view name) const {
  if (!is_asset_name(name)) return nullptr;
  auto it = assets_.find(name);
  return it == assets_.end() ? nullptr : &it->second;
}

std::filesystem::path default_web_dir() {
  if (const char* env = std::getenv("CHRYSALIS_WEB_DIR"); env && *env) return env;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside_tree = exe.parent_path().parent_path() / "web" / "dist";
    if (std::filesystem::is_regular_file(beside_tree / "index.html", ec)) return beside_tree;
  }
  return std::filesystem::current_path(ec) / "web" / "dist";
}

}  // namespace chrysalis::http
