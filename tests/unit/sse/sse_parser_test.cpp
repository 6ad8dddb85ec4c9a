#include <gtest/gtest.h>

#include "sse/sse_parser.h"

namespace {

using chrysalis::sse::SseEvent;
using chrysalis::sse::SseParser;

std::vector<SseEvent> parse_in_pieces(std::string_view stream, std::vector<std::size_t> cuts, bool finish = true) {
  SseParser parser;
  std::vector<SseEvent> events;
  std::size_t from = 0;
  for (auto cut : cuts) {
    parser.feed(stream.substr(from, cut - from), events);
    from = cut;
  }
  parser.feed(stream.substr(from), events);
  if (finish) parser.finish(events);
  return events;
}

std::vector<std::string> data_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

const std::string kStream =
    "data: {\"choices\":[{\"delta\":{\"content\":\"Grüße, 世界 🎉\"}}]}\n\n"
    ": keep-alive comment\n"
    "event: message\nid: 7\nretry: 100\n"
    "data: {\"a\":1}\n\n"
    "data:no-space\n\n"
    "data: line one\ndata: line two\n\n"
    "data: [DONE]\n\n";

const std::vector<std::string> kExpected = {"{\"choices\":[{\"delta\":{\"content\":\"Grüße, 世界 🎉\"}}]}", "{\"a\":1}",
                                            "no-space", "line one\nline two", "[DONE]"};

TEST(SseParser, WholeStreamInOnePiece) {
  auto events = parse_in_pieces(kStream, {});
  EXPECT_EQ(data_of(events), kExpected);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_TRUE(events[4].done);
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(events[i].done) << i;
}

TEST(SseParser, SplitAtEveryBytePosition) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut)
    ASSERT_EQ(data_of(parse_in_pieces(kStream, {cut})), kExpected) << "cut at " << cut;
}

TEST(SseParser, FedOneByteAtATimeIncludingInsideUtf8) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kStream.size(); ++i) cuts.push_back(i);
  auto events = parse_in_pieces(kStream, cuts);
  EXPECT_EQ(data_of(events), kExpected);
  // The multi-byte characters survive byte-by-byte delivery intact.
  EXPECT_NE(events[0].data.find("世界 🎉"), std::string::npos);
}

TEST(SseParser, CrlfLineEndingsSplitEverywhere) {
  std::string crlf;
  for (char c : kStream) {
    if (c == '\n')
      crlf += "\r\n";
    else
      crlf += c;
  }
  for (std::size_t cut = 0; cut <= crlf.size(); ++cut)
    ASSERT_EQ(data_of(parse_in_pieces(crlf, {cut})), kExpected) << "cut at " << cut;
}

TEST(SseParser, LoneCrEndsALineAndCrLfAcrossPiecesIsOneEnding) {
  // "\r" then "\n" in the next piece must not create an extra blank line that splits the event.
  auto events = parse_in_pieces("data: a\r\ndata: b\r\n\r\n", {8});
  EXPECT_EQ(data_of(events), (std::vector<std::string>{"a\nb"}));
  events = parse_in_pieces("data: x\rdata: y\r\r", {});
  EXPECT_EQ(data_of(events), (std::vector<std::string>{"x\ny"}));
}

TEST(SseParser, EventsAreDeliveredAsSoonAsTheBlankLineArrives) {
  SseParser parser;
  std::vector<SseEvent> events;
  parser.feed("data: first\n", events);
  EXPECT_TRUE(events.empty());
  parser.feed("\n", events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "first");
}

TEST(SseParser, FinishFlushesAnUnterminatedLastEvent) {
  SseParser parser;
  std::vector<SseEvent> events;
  parser.feed("data: {\"x\":1}\n\ndata: tail", events);
  ASSERT_EQ(events.size(), 1u);
  parser.finish(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].data, "tail");
  parser.finish(events);  // nothing pending any more
  EXPECT_EQ(events.size(), 2u);
}

TEST(SseParser, CommentsAndOtherFieldsAloneProduceNoEvent) {
  auto events = parse_in_pieces(": ping\n\nevent: x\nid: 1\n\n", {});
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, OnlyOneLeadingSpaceIsRemoved) {
  auto events = parse_in_pieces("data:  two spaces\n\n", {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, " two spaces");
}

TEST(SseParser, DoneMarkerIsRecognisedWithoutSpaceAndWithCrlf) {
  auto events = parse_in_pieces("data:[DONE]\r\n\r\n", {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].done);
  events = parse_in_pieces("data: [DONE]x\n\n", {});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_FALSE(events[0].done);
}

TEST(SseParser, NewlineDelimitedJsonLinesAreEventsToo) {
  std::string ndjson = "{\"delta\":\"a\"}\n{\"usage\":{\"prompt_tokens\":3}}\n";
  for (std::size_t cut = 0; cut <= ndjson.size(); ++cut) {
    auto events = parse_in_pieces(ndjson, {cut});
    ASSERT_EQ(data_of(events), (std::vector<std::string>{"{\"delta\":\"a\"}", "{\"usage\":{\"prompt_tokens\":3}}"}))
        << "cut at " << cut;
  }
}

TEST(SseParser, DataLinesPastTheEventBoundAreDroppedNotKept) {
  // Each line is short, but an event that never ends would hold them all.
  SseParser parser;
  std::vector<SseEvent> events;
  const std::string line = "data: " + std::string(1 << 20, 'x') + "\n";
  for (std::size_t total = 0; total <= SseParser::kMaxEventBytes; total += line.size()) parser.feed(line, events);
  parser.feed("\ndata: next\n\n", events);
  EXPECT_EQ(data_of(events), (std::vector<std::string>{"next"}));
  EXPECT_EQ(parser.dropped_events(), 1u);
  EXPECT_EQ(parser.dropped_lines(), 0u);
}

TEST(SseParser, AnOversizedEventStillEndingAtTheStreamEndIsCounted) {
  SseParser parser;
  std::vector<SseEvent> events;
  const std::string line = "data: " + std::string(1 << 20, 'y') + "\n";
  for (std::size_t total = 0; total <= SseParser::kMaxEventBytes; total += line.size()) parser.feed(line, events);
  parser.finish(events);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(parser.dropped_events(), 1u);
}

}  // namespace
