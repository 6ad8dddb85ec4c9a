# The two entry points of README.md: `make demo` and `make test`. Each installs what is missing.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
NODE_PACKAGES := engine tests/integration contracts devnet tests/ton-vectors web tests/web
NPM_STAMPS := $(addsuffix /node_modules/.installed,$(NODE_PACKAGES))
export CHRYSALIS_BIN := $(CURDIR)/$(BUILD_DIR)/chrysalis
# The browser tests drive Debian's chromium: no npm package may download one.
export PUPPETEER_SKIP_DOWNLOAD := 1

.PHONY: all deps build node web web-test demo down test unit unit-sanitize vectors engine-test contracts-test devnet-test ton-devnet-test integration adversarial fuzz fuzz-long bench bench-scale bench-profile format tidy clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja

build: deps $(BUILD_DIR)/build.ninja
	ninja -C $(BUILD_DIR) -j $(JOBS)

# npm ci only when the lock file changed since the last install.
%/node_modules/.installed: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund
	touch $@

node: deps $(NPM_STAMPS)

# The chat app and dashboard every node serves (docs/web.md): TypeScript + Vite into web/dist.
web: deps web/node_modules/.installed
	cd web && npm run build

demo: build node web
	./$(BUILD_DIR)/chrysalis local up

down:
	./$(BUILD_DIR)/chrysalis local down

# Byte-exact vectors from @ton/core for the C++ TON layer; the unit tests fail without them.
VECTORS_DIR := $(CURDIR)/$(BUILD_DIR)/vectors
vectors: node
	mkdir -p $(VECTORS_DIR)
	node tests/ton-vectors/generate.mjs $(VECTORS_DIR)/ton.json
	cd contracts && node scripts/compile.mjs && node scripts/vectors.mjs $(VECTORS_DIR)/contracts.json

UNIT_ENV := CHRYSALIS_TON_VECTORS=$(VECTORS_DIR)/ton.json CHRYSALIS_CONTRACT_VECTORS=$(VECTORS_DIR)/contracts.json \
  CHRYSALIS_TON_VECTORS_REQUIRED=1 CHRYSALIS_SOURCE_DIR=$(CURDIR)

unit: build vectors
	cd $(BUILD_DIR) && $(UNIT_ENV) ctest --output-on-failure -j $(JOBS)

# The unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, in a build dir of their own.
# -Werror stays in the main build only: GCC's sanitizer instrumentation brings false-positive warnings.
ASAN_DIR := $(CURDIR)/build-asan
# Excluded under ASan (ctest -E regex), each with its reason:
#   (none yet)
ASAN_EXCLUDE ?=
$(ASAN_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCHRYSALIS_SANITIZE=ON -DCHRYSALIS_WERROR=OFF

unit-sanitize: deps vectors $(ASAN_DIR)/build.ninja
	ninja -C $(ASAN_DIR) -j $(JOBS) unit_tests
	cd $(ASAN_DIR) && $(UNIT_ENV) ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) $(if $(ASAN_EXCLUDE),-E '$(ASAN_EXCLUDE)')

engine-test: build node
	cd engine && npm test

contracts-test: node
	cd contracts && npm test

devnet-test: node
	cd devnet && npm test

# C++ TON layer against a live devnet: deploy, charge, payout, read back to the nanoTON.
ton-devnet-test: build node
	CHRYSALIS_DEVNET_DIR=$(CURDIR)/devnet ./$(BUILD_DIR)/ton_devnet_tests

integration: build node
	cd tests/integration && npm test

# Every parser that takes bytes from a peer under libFuzzer (clang, ASan, UBSan), 15 s per target
# (tests/fuzz/README.md); tests/fuzz/run.sh configures and builds build-fuzz (CMake, clang,
# -DCHRYSALIS_FUZZ=ON) itself.
fuzz: deps
	JOBS=$(JOBS) bash tests/fuzz/run.sh 15

# Each fuzz target for 10 million executions, one at a time (hours); writes bench/results/fuzz.md.
fuzz-long: deps
	JOBS=$(JOBS) bash tests/fuzz/long.sh

test: unit unit-sanitize engine-test contracts-test devnet-test ton-devnet-test integration adversarial web-test fuzz

# The web app in Debian's chromium (puppeteer-core), its pages served by the nodes of a real network.
web-test: build node web
	cd tests/web && WEB_SERVE=node npm test

# Attackers against real processes on loopback (tests/adversarial/README.md); build/adversary speaks the wire protocol.
adversarial: build node
	node --test --test-concurrency=1 --test-timeout=240000 tests/adversarial/*.test.mjs

bench: build node
	bash bench/run.sh

# One proxy under 10,000 simulated workers and 1,000 client streams (bench/scale/run.sh): its RSS,
# CPU per request, worker-selection time, requests/s and frames/s. Not part of `make test`.
bench-scale: build
	bash bench/scale/run.sh

# Where each node's CPU goes at concurrency 30 (bench/profile.sh): CPU, syscalls and context switches
# per request, and the top of each node's perf profile.
bench-profile: build
	bash bench/profile.sh

# One style for the tree (.clang-format).
format:
	find src tests bench -name '*.cpp' -o -name '*.h' | grep -v node_modules | xargs clang-format -i

# clang-tidy (.clang-tidy) over src/, with the main build's compile commands. Slow: not part of `make test`.
CLANG_TIDY ?= $(shell command -v clang-tidy-14 || command -v clang-tidy)
# clang 14 with libstdc++ 12 and Boost 1.74 needs telling that coroutines are there; the GCC-only
# warning options of compile_commands.json are ignored.
TIDY_ARGS := --extra-arg=-Wno-unknown-warning-option --extra-arg=-D__cpp_impl_coroutine=201902L \
  --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1
tidy: build
	find src -name '*.cpp' | sort | xargs -P $(JOBS) -n 4 $(CLANG_TIDY) -p $(BUILD_DIR) --quiet $(TIDY_ARGS)

clean:
	rm -rf $(BUILD_DIR) build-asan build-fuzz web/dist
