# The two entry points of README.md: `make demo` and `make test`. Each installs what is missing.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
NODE_PACKAGES := engine tests/integration contracts devnet
NPM_STAMPS := $(addsuffix /node_modules/.installed,$(NODE_PACKAGES))
export CHRYSALIS_BIN := $(CURDIR)/$(BUILD_DIR)/chrysalis

.PHONY: all deps build node demo down test unit engine-test contracts-test devnet-test integration bench clean

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

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

engine-test: build node
	cd engine && npm test

contracts-test: node
	cd contracts && npm test

devnet-test: node
	cd devnet && npm test

integration: build node
	cd tests/integration && npm test

test: unit engine-test contracts-test devnet-test integration

bench: build node
	bash bench/run.sh

clean:
	rm -rf $(BUILD_DIR)
