#include "common/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace chrysalis {
namespace {

namespace fs = std::filesystem;

TEST(FileIo, ASecretIsCreatedWithItsModeWhateverTheUmask) {
  test::TempDir tmp{"file-io"};
  mode_t old = ::umask(0);  // the worst case: everything would be world-readable
  write_file(tmp.path() / "key.pem", "secret", fs::perms::owner_read | fs::perms::owner_write);
  ::umask(old);
  EXPECT_EQ(fs::status(tmp.path() / "key.pem").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_file(tmp.path() / "key.pem"), "secret");
  write_file(tmp.path() / "key.pem", "replaced", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(read_file(tmp.path() / "key.pem"), "replaced");
  int files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(tmp.path())) ++files;
  EXPECT_EQ(files, 1) << "no temporary file is left behind";
}

TEST(FileIo, ATokenIsMadeOnceAndRefusedWhenOthersCanReadIt) {
  test::TempDir tmp{"file-io"};
  auto file = tmp.path() / "admin.token";
  std::string token = read_or_create_secret_token(file);
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(read_or_create_secret_token(file), token);
  fs::permissions(file, fs::perms::others_read, fs::perm_options::add);
  EXPECT_THROW(read_or_create_secret_token(file), std::runtime_error);
}

}  // namespace
}  // namespace chrysalis
