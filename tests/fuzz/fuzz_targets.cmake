# libFuzzer targets, one per parser that takes bytes from a peer, each built from only the sources
# it needs (included by CMakeLists.txt when CHRYSALIS_FUZZ is ON; clang only). tests/fuzz/run.sh and
# tests/fuzz/long.sh read the manifest written here: one line per target, "name max_len seed_dir...".
find_package(OpenSSL 3 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(Protobuf REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(XMLSEC REQUIRED IMPORTED_TARGET xmlsec1-openssl)

set(FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz)
# Boost's assertions go through boost_assert_handler.cpp (in every target, through the common
# library), which lets only Beast 1.74's spurious chunk-header assertions pass.
add_compile_definitions(BOOST_ENABLE_ASSERT_HANDLER)
set(FUZZ_MANIFEST ${CMAKE_BINARY_DIR}/fuzz_targets.txt)
file(WRITE ${FUZZ_MANIFEST} "")

# chrysalis_fuzz_target(NAME MAX_LEN n SOURCES src/... LIBS ... [SEEDS extra seed dirs]): the harness
# is tests/fuzz/NAME.cpp, its committed seeds tests/fuzz/corpus/NAME/. The sources go into one
# instrumented static library shared by every target (chrysalis_fuzz_common, below), so a source
# several targets need is compiled once; each target links only the objects it uses.
function(chrysalis_fuzz_target name)
  cmake_parse_arguments(FT "" "MAX_LEN" "SOURCES;LIBS;SEEDS" ${ARGN})
  add_executable(${name} ${FUZZ_DIR}/${name}.cpp)
  target_include_directories(${name} PRIVATE src ${FUZZ_DIR} ${CMAKE_CURRENT_BINARY_DIR})
  # -UNDEBUG: asserts stay on under the fuzzer, whatever the build type.
  target_compile_options(${name} PRIVATE -O1 -g1 -UNDEBUG -fsanitize=fuzzer,address,undefined
                         -fno-sanitize-recover=undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE chrysalis_fuzz_common ${FT_LIBS})
  set_property(GLOBAL APPEND PROPERTY CHRYSALIS_FUZZ_SOURCES ${FT_SOURCES})
  set_property(GLOBAL APPEND PROPERTY CHRYSALIS_FUZZ_LIBS ${FT_LIBS})
  file(APPEND ${FUZZ_MANIFEST} "${name} ${FT_MAX_LEN} ${FUZZ_DIR}/corpus/${name} ${FT_SEEDS}\n")
endfunction()

# Found by file name anywhere under src/, so moving files between subfolders needs no edit here.
file(GLOB_RECURSE FUZZ_ALL_SOURCES CONFIGURE_DEPENDS src/*.cpp)
function(fuzz_sources out)
  set(found "")
  foreach(stem ${ARGN})
    set(match ${FUZZ_ALL_SOURCES})
    list(FILTER match INCLUDE REGEX "/${stem}\\.cpp$")
    list(LENGTH match count)
    if(NOT count EQUAL 1)
      message(FATAL_ERROR "fuzz: ${stem}.cpp found ${count} times under src/")
    endif()
    list(APPEND found ${match})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# The TDX quote verifier and what it needs: the quote and RA-TLS certificate targets share it.
fuzz_sources(FUZZ_QUOTE_SOURCES tdx_quote quote_json quote_verifier quote_chain quote_crypto quote_trust_anchors
             intel_root_ca sgx_extension collateral_eval collateral_json hex json_bounded)

chrysalis_fuzz_target(quote_parser_fuzz MAX_LEN 16384 SOURCES ${FUZZ_QUOTE_SOURCES}
                      LIBS OpenSSL::Crypto nlohmann_json::nlohmann_json SEEDS ${CMAKE_CURRENT_SOURCE_DIR}/tests/data/tdx)

fuzz_sources(FUZZ_CLAIMS_SOURCES claims)
chrysalis_fuzz_target(ra_tls_claims_fuzz MAX_LEN 8192 SOURCES ${FUZZ_CLAIMS_SOURCES} LIBS OpenSSL::Crypto)

# A worker's certificate may carry GPU evidence (attest/gpu/gpu_binding.h), checked with the rest.
fuzz_sources(FUZZ_CERT_SOURCES claims ra_tls_cert x509_extension attested_peer_verifier attested_peer_verifier_cache
             peer_verifier policy measured_config address encoding gpu_binding gpu_verifier gpu_revocation
             gpu_verification_cache rim dice_fwid nvidia_roots
             spdm_report)
chrysalis_fuzz_target(ra_tls_cert_fuzz MAX_LEN 16384 SOURCES ${FUZZ_CERT_SOURCES} ${FUZZ_QUOTE_SOURCES}
                      LIBS OpenSSL::Crypto nlohmann_json::nlohmann_json PkgConfig::XMLSEC)

# The node-to-node wire schema, generated as in the main build.
protobuf_generate_cpp(FUZZ_PROTO_SRCS FUZZ_PROTO_HDRS src/proto/chrysalis.proto)
fuzz_sources(FUZZ_FRAME_SOURCES frame_codec address encoding hex)
chrysalis_fuzz_target(frame_fuzz MAX_LEN 4096 SOURCES ${FUZZ_FRAME_SOURCES} ${FUZZ_PROTO_SRCS}
                      LIBS protobuf::libprotobuf)

fuzz_sources(FUZZ_BOC_SOURCES boc cell encoding address hex contract_signed ed25519_key)
chrysalis_fuzz_target(boc_fuzz MAX_LEN 4096 SOURCES ${FUZZ_BOC_SOURCES} LIBS OpenSSL::Crypto)

fuzz_sources(FUZZ_SSE_SOURCES sse_parser usage_meter stream_shaper json_bounded)
chrysalis_fuzz_target(sse_fuzz MAX_LEN 2048 SOURCES ${FUZZ_SSE_SOURCES} LIBS nlohmann_json::nlohmann_json)

fuzz_sources(FUZZ_HTTP_SOURCES server_request url hex openai_error)
chrysalis_fuzz_target(http_request_fuzz MAX_LEN 4096 SOURCES ${FUZZ_HTTP_SOURCES}
                      LIBS Boost::headers nlohmann_json::nlohmann_json)

fuzz_sources(FUZZ_OPENAI_SOURCES openai_request embedding_request responses_as_chat responses_request request_field_checks tool_request openai_error usage_meter json_bounded)
chrysalis_fuzz_target(openai_request_fuzz MAX_LEN 4096 SOURCES ${FUZZ_OPENAI_SOURCES}
                      LIBS nlohmann_json::nlohmann_json)

# What a client turns the answer events from its proxy into: chat answers, Responses, embeddings.
fuzz_sources(FUZZ_ANSWER_SOURCES response_assembler responses_stream embedding_answer tool_request request_field_checks
             answer_resume openai_error usage_meter json_bounded encoding random hex)
chrysalis_fuzz_target(answer_events_fuzz MAX_LEN 4096 SOURCES ${FUZZ_ANSWER_SOURCES}
                      LIBS OpenSSL::Crypto nlohmann_json::nlohmann_json)

# Receipts and inclusion proofs, as a client or `chrysalis receipt verify` reads them from others.
# A reputation table's histories replay through the workers' receipts and owner proofs.
fuzz_sources(FUZZ_RECEIPT_SOURCES receipt receipt_proof reputation_proof merkle answer_digest sha256 ledger_codec
             ed25519_key encoding address hex reputation_history_check reputation_event reputation_table
             routing_spot_check owner_proof billing_hello wallet_v4r2 cell boc message)
chrysalis_fuzz_target(receipt_fuzz MAX_LEN 8192 SOURCES ${FUZZ_RECEIPT_SOURCES} ${FUZZ_PROTO_SRCS}
                      LIBS OpenSSL::Crypto nlohmann_json::nlohmann_json protobuf::libprotobuf)

# toml++ is the system library, as in the main build: our reader and loaders are instrumented, the
# TOML parser is not. Built header-only and instrumented, toml++ 3.3 trips its own assert after '['
# ("[&", marzer/tomlplusplus#294, fixed upstream by #301) and reaches TOML_UNREACHABLE on some
# non-ASCII characters ("\xc3\xa5", #190/#295, fixed by #305); the shipped GCC build reports both as
# parse errors (tests/unit/common/toml_reader_test.cpp), so fuzzing it here would only find those.
fuzz_sources(FUZZ_TOML_SOURCES toml_reader client_config proxy_endpoints_config e2e_mode endpoint policy_config policy
             billing_settings ton_amount
             address encoding hex routing_config routing_selection_policy routing_price_policies routing_deadline
             routing_worker_selector quote_trust_anchors
             intel_root_ca quote_crypto nvidia_roots gpu_revocation peer_verifier)
chrysalis_fuzz_target(toml_config_fuzz MAX_LEN 4096 SOURCES ${FUZZ_TOML_SOURCES}
                      LIBS OpenSSL::Crypto nlohmann_json::nlohmann_json spdlog::spdlog tomlplusplus::tomlplusplus)

# Writes the binary seeds under tests/fuzz/corpus/ (not built by default; tests/fuzz/README.md).
add_executable(fuzz_seed_maker EXCLUDE_FROM_ALL ${FUZZ_DIR}/seeds/make_seeds.cpp ${FUZZ_DIR}/boost_assert_handler.cpp ${FUZZ_CERT_SOURCES}
                               ${FUZZ_QUOTE_SOURCES} ${FUZZ_FRAME_SOURCES} ${FUZZ_PROTO_SRCS} ${FUZZ_BOC_SOURCES}
                               ${FUZZ_RECEIPT_SOURCES})
target_include_directories(fuzz_seed_maker PRIVATE src ${FUZZ_DIR} ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(fuzz_seed_maker PRIVATE OpenSSL::Crypto nlohmann_json::nlohmann_json protobuf::libprotobuf
                      PkgConfig::XMLSEC)

# GPU evidence: the SPDM measurement report a worker's GPU returns (real H100 report as the seed).
fuzz_sources(FUZZ_SPDM_SOURCES spdm_report gpu_json quote_crypto hex)
chrysalis_fuzz_target(spdm_report_fuzz MAX_LEN 8192 SOURCES ${FUZZ_SPDM_SOURCES} LIBS OpenSSL::Crypto
                      nlohmann_json::nlohmann_json)

# Every fuzzed source, compiled once with the same instrumentation as the harnesses (fuzzer-no-link:
# coverage and sanitizers, without libFuzzer's main).
get_property(FUZZ_COMMON_SOURCES GLOBAL PROPERTY CHRYSALIS_FUZZ_SOURCES)
get_property(FUZZ_COMMON_LIBS GLOBAL PROPERTY CHRYSALIS_FUZZ_LIBS)
list(REMOVE_DUPLICATES FUZZ_COMMON_SOURCES)
list(REMOVE_DUPLICATES FUZZ_COMMON_LIBS)
add_library(chrysalis_fuzz_common STATIC ${FUZZ_COMMON_SOURCES} ${FUZZ_DIR}/boost_assert_handler.cpp)
target_include_directories(chrysalis_fuzz_common PUBLIC src ${CMAKE_CURRENT_BINARY_DIR})
target_compile_options(chrysalis_fuzz_common PRIVATE -O1 -g1 -UNDEBUG -fsanitize=fuzzer-no-link,address,undefined
                       -fno-sanitize-recover=undefined)
target_link_libraries(chrysalis_fuzz_common PUBLIC ${FUZZ_COMMON_LIBS})
