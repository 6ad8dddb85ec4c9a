# The two entry points of README.md: `make demo` and `make test`. Each installs what is missing.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
NODE_PACKAGES := engine tests/integration contracts devnet tests/ton-vectors
NPM_STAMPS := $(addsuffix /node_modules/.installed,$(NODE_PACKAGES))
export CHRYSALIS_BIN := $(CURDIR)/$(BUILD_DIR)/chrysalis

.PHONY: all deps build node demo down test unit vectors engine-test contracts-test devnet-test ton-devnet-test integration fuzz bench format clean

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

demo: build node
	./$(BUILD_DIR)/chrysalis local up

down:
	./$(BUILD_DIR)/chrysalis local down

# Byte-exact vectors from @ton/core for the C++ TON layer; the unit tests fail without them.
VECTORS_DIR := $(CURDIR)/$(BUILD_DIR)/vectors
vectors: node
	mkdir -p $(VECTORS_DIR)
	node tests/ton-vectors/generate.mjs $(VECTORS_DIR)/ton.json
	cd contracts && node scripts/compile.mjs && node scripts/vectors.mjs $(VECTORS_DIR)/contracts.json

unit: build vectors
	cd $(BUILD_DIR) && CHRYSALIS_TON_VECTORS=$(VECTORS_DIR)/ton.json CHRYSALIS_CONTRACT_VECTORS=$(VECTORS_DIR)/contracts.json \
	  CHRYSALIS_TON_VECTORS_REQUIRED=1 CHRYSALIS_SOURCE_DIR=$(CURDIR) ctest --output-on-failure -j $(JOBS)

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

# The TDX quote parser under libFuzzer (clang, ASan, UBSan) for a bounded time.
fuzz: deps
	bash tests/fuzz/run.sh 30

test: unit engine-test contracts-test devnet-test ton-devnet-test integration fuzz

bench: build node
	bash bench/run.sh

# One style for the tree (.clang-format).
format:
	find src tests bench -name '*.cpp' -o -name '*.h' | grep -v node_modules | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR)
