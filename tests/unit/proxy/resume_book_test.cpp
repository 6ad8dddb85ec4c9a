#include "proxy/resume_book.h"

#include <gtest/gtest.h>

namespace chrysalis::proxy {
namespace {

ResumableAnswer answer(uint32_t resumes = 0) { return {"client-a", "m", {7}, resumes}; }

TEST(ResumeBook, OnlyTheSameClientContinuesTheSameModelOnce) {
  ResumeBook book({.max_resumes = 2, .capacity = 16, .keep_s = 60});
  book.remember("r1", answer());
  auto other = book.claim("r1", "client-b", "m");
  ASSERT_TRUE(std::holds_alternative<std::string>(other));
  EXPECT_NE(std::get<std::string>(other).find("another client's"), std::string::npos);
  // A refused claim used the entry up: a second try finds nothing (a guesser gets one shot).
  auto again = book.claim("r1", "client-a", "m");
  ASSERT_TRUE(std::holds_alternative<std::string>(again));

  book.remember("r2", answer());
  auto wrong_model = book.claim("r2", "client-a", "other");
  ASSERT_TRUE(std::holds_alternative<std::string>(wrong_model));
  EXPECT_NE(std::get<std::string>(wrong_model).find("was for model 'm'"), std::string::npos);

  book.remember("r3", answer());
  auto ok = book.claim("r3", "client-a", "m");
  ASSERT_TRUE(std::holds_alternative<ResumableAnswer>(ok));
  EXPECT_EQ(std::get<ResumableAnswer>(ok).resumes, 1u);
  EXPECT_EQ(std::get<ResumableAnswer>(ok).failed_workers, std::vector<uint64_t>{7});
  EXPECT_TRUE(std::holds_alternative<std::string>(book.claim("r3", "client-a", "m")));
  auto stats = book.json();
  EXPECT_EQ(stats["claimed"], 1);
  EXPECT_EQ(stats["refused"], 4);
}

TEST(ResumeBook, TheBudgetAndTheTableAreBounded) {
  ResumeBook book({.max_resumes = 2, .capacity = 16, .keep_s = 60});
  book.remember("spent", answer(/*resumes=*/2));  // continued twice already: not again
  auto spent = book.claim("spent", "client-a", "m");
  ASSERT_TRUE(std::holds_alternative<std::string>(spent));
  EXPECT_NE(std::get<std::string>(spent).find("resume budget (2)"), std::string::npos);
  for (int i = 0; i < 100; ++i) book.remember("r" + std::to_string(i), answer());
  EXPECT_EQ(book.json()["held"], 16);
  EXPECT_TRUE(std::holds_alternative<ResumableAnswer>(book.claim("r99", "client-a", "m")));
  EXPECT_TRUE(std::holds_alternative<std::string>(book.claim("r0", "client-a", "m")));  // pushed out

  ResumeBook off({.max_resumes = 0});
  off.remember("r", answer());
  auto refused = off.claim("r", "client-a", "m");
  ASSERT_TRUE(std::holds_alternative<std::string>(refused));
  EXPECT_NE(std::get<std::string>(refused).find("max_resumes = 0"), std::string::npos);
}

}  // namespace
}  // namespace chrysalis::proxy
