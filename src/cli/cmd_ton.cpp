// `chrysalis ton address ADDR` and `chrysalis ton boc inspect FILE|-`: offline TON tools.
// The `ton` group is shared with the chain commands (root show, ...): get-or-create.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/subcommand_group.h"
#include "ton/cells/address.h"
#include "ton/cells/boc.h"

namespace chrysalis::cli {

namespace {

constexpr int kBadInputExit = 2;

// main() prints the message of a RuntimeError to stderr.
[[noreturn]] void fail_bad_input(const std::string& message) { throw CLI::RuntimeError(message, kBadInputExit); }


nlohmann::json address_json(const std::string& text) {
  ton::ParsedAddress p = ton::parse_address_text(text);
  const ton::Address& a = p.address;
  nlohmann::json input = {{"form", p.friendly ? "friendly" : "raw"}};
  if (p.friendly) {
    input["bounceable"] = p.bounceable;
    input["testnet"] = p.testnet;
    input["url_safe"] = p.url_safe;
  }
  return {{"raw", a.to_raw()},
          {"bounceable", a.to_friendly(true, false)},
          {"non_bounceable", a.to_friendly(false, false)},
          {"testnet_bounceable", a.to_friendly(true, true)},
          {"testnet_non_bounceable", a.to_friendly(false, true)},
          {"workchain", a.workchain},
          {"hash_hex", ton::to_hex(a.hash)},
          {"input", input}};
}

ton::Bytes read_input(const std::string& path) {
  std::string content;
  if (path == "-") {
    content.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail_bad_input("ton boc inspect: cannot open " + path);
    content.assign(std::istreambuf_iterator<char>(in), {});
  }
  static const std::string kMagics[] = {"\xb5\xee\x9c\x72", "\x68\xff\x65\xf3", "\xac\xc3\xa7\x28"};
  for (const auto& m : kMagics)
    if (content.compare(0, 4, m) == 0) return ton::Bytes(content.begin(), content.end());
  return ton::boc_bytes_from_text(content);  // hex or base64 text
}

// Numbers unique cells in first-visit order; a cell seen before is printed as a back-reference.
class TreePrinter {
 public:
  void print(std::ostream& out, const ton::CellRef& cell, int indent) {
    std::string pad(static_cast<size_t>(indent) * 2, ' ');
    if (auto it = ids_.find(cell->hash()); it != ids_.end()) {
      out << pad << "#" << it->second << " (again)\n";
      return;
    }
    size_t id = ids_.size();
    ids_.emplace(cell->hash(), id);
    out << pad << "#" << id << " bits=" << cell->bit_size() << " refs=" << cell->refs().size()
        << " depth=" << cell->depth() << " hash=" << cell->hash_hex() << " x{" << cell->bits_text() << "}\n";
    for (const auto& r : cell->refs()) print(out, r, indent + 1);
  }
  nlohmann::json json(const ton::CellRef& cell) {
    if (auto it = ids_.find(cell->hash()); it != ids_.end()) return it->second;
    size_t id = ids_.size();
    ids_.emplace(cell->hash(), id);
    nlohmann::json refs = nlohmann::json::array();
    for (const auto& r : cell->refs()) refs.push_back(json(r));
    return {{"id", id},
            {"bits", cell->bit_size()},
            {"depth", cell->depth()},
            {"hash", cell->hash_hex()},
            {"data", cell->bits_text()},
            {"refs", refs}};
  }
  size_t unique() const { return ids_.size(); }

 private:
  std::map<ton::Hash256, size_t> ids_;
};

}  // namespace

void register_ton_commands(CLI::App& app) {
  CLI::App* ton = ton_group(app);

  auto* address =
      ton->add_subcommand("address", "Print every form of a TON address (raw or user-friendly input) as JSON");
  auto addr_text = std::make_shared<std::string>();
  address->add_option("ADDR", *addr_text, "Address: raw 'wc:hex' or 48-character base64/base64url")->required();
  address->callback([addr_text] {
    try {
      std::cout << address_json(*addr_text).dump(2) << "\n";
    } catch (const ton::AddressError& e) {
      fail_bad_input(std::string("ton address: ") + e.what());
    }
  });

  auto* boc = ton->add_subcommand("boc", "Bag-of-cells tools");
  boc->require_subcommand(1);
  auto* inspect = boc->add_subcommand(
      "inspect", "Print the cell tree of a BoC (binary, hex or base64) with bits, refs, depth and hash per cell");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  inspect->add_option("FILE", *path, "BoC file, or - for standard input")->required();
  inspect->add_flag("--json", *as_json, "Print JSON (cells numbered in first-visit order; repeats are ids)");
  inspect->callback([path, as_json] {
    std::vector<ton::CellRef> roots;
    size_t size = 0;
    try {
      ton::Bytes bytes = read_input(*path);
      size = bytes.size();
      roots = ton::deserialize_boc(bytes);
    } catch (const ton::CellError& e) {
      fail_bad_input(std::string("ton boc inspect: malformed BoC: ") + e.what());
    }
    TreePrinter printer;
    if (*as_json) {
      nlohmann::json out = {{"bytes", size}, {"roots", nlohmann::json::array()}};
      for (const auto& r : roots) out["roots"].push_back(printer.json(r));
      out["unique_cells"] = printer.unique();
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::ostringstream tree;
    for (size_t i = 0; i < roots.size(); ++i) {
      tree << "root " << i << ":\n";
      printer.print(tree, roots[i], 1);
    }
    std::cout << "BoC: " << size << " bytes, " << roots.size() << " root(s), " << printer.unique()
              << " unique cell(s)\n"
              << tree.str();
  });
}

}  // namespace chrysalis::cli
