#include "proxy/reputation_history_check.h"

#include "proxy/reputation_event.h"
#include "proxy/reputation_table.h"

namespace chrysalis::proxy {

namespace {

// Which counter differs, for the message: a counted figure before the event count and head.
std::string first_difference(const nlohmann::json& got, const nlohmann::json& signed_counters) {
  for (bool chain : {false, true})
    for (const auto& [name, value] : signed_counters.items()) {
      if ((name == "events" || name == "head") != chain) continue;
      if (!got.contains(name) || got[name] != value)
        return name + " " + (got.contains(name) ? got[name].dump() : "missing") + " vs signed " + value.dump();
    }
  return "the counters differ";
}

std::string replay(const nlohmann::json& entry, const std::string& proxy_key_hex, HistoryCheck& check) {
  const auto& history = entry["history"];
  if (!history.is_object()) return "history: not an object";
  auto base = ReputationCounters::from_json(history.value("base", nlohmann::json()));
  if (!base) return "history.base: not counters";
  const auto& events = history.value("events", nlohmann::json());
  if (!events.is_array() || events.size() > ReputationTable::kEventsPerEntry)
    return "history.events: not a list of at most " + std::to_string(ReputationTable::kEventsPerEntry);
  std::string subject = entry.value("subject", "");
  ReputationCounters counters = *base;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& rid = events[i].is_object() ? events[i].value("request_id", nlohmann::json()) : nlohmann::json();
    std::string where = "event " + std::to_string(i) + " (request " +
                        (rid.is_string() ? rid.get<std::string>().substr(0, 80) : std::string("?")) + "): ";
    bool proxy_word = false;
    if (auto problem = event_evidence_problem(events[i], subject, proxy_key_hex, proxy_word); !problem.empty())
      return where + problem;
    if (auto problem = apply_event(counters, events[i]); !problem.empty()) return where + problem;
    ++check.events;
    ++(proxy_word ? check.proxy_word : check.receipts);
  }
  auto got = counters.json();
  const auto& signed_counters = entry.value("counters", nlohmann::json());
  if (got != signed_counters)
    return "its events do not give its signed counters (" + first_difference(got, signed_counters) + ")";
  ++check.entries;
  return "";
}

}  // namespace

nlohmann::json HistoryCheck::json() const {
  nlohmann::json j = {{"entries", entries}, {"events", events}, {"receipts", receipts}, {"proxy_word", proxy_word}};
  if (!problem.empty()) j["problem"] = problem;
  return j;
}

HistoryCheck check_histories(const nlohmann::json& table, const std::string& proxy_key_hex) {
  HistoryCheck check;
  if (!table.is_object()) {
    check.problem = "the table is not a JSON object";
    return check;
  }
  const auto& entries = table.value("entries", nlohmann::json());
  if (!entries.is_array()) {
    check.problem = "entries: not a list";
    return check;
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].is_object() || !entries[i].contains("history")) continue;
    std::string problem;
    try {  // a field of the wrong type anywhere in what a proxy sent is its problem, not ours
      problem = replay(entries[i], proxy_key_hex, check);
    } catch (const std::exception& e) {
      problem = std::string("not well-formed: ") + e.what();
    }
    if (!problem.empty()) {
      const auto& subject = entries[i].value("subject", nlohmann::json());
      check.problem = "entries[" + std::to_string(i) + "] (" +
                      (subject.is_string() ? subject.get<std::string>().substr(0, 80) : std::string("?")) +
                      "): " + problem;
      return check;
    }
  }
  return check;
}

}  // namespace chrysalis::proxy
