#pragma once
// What a request's state machine (request_flow.h) asks its node to do. The flow never touches a
// socket, a timer or the disk: it returns these, and the node carries them out in order.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "chrysalis.pb.h"

namespace chrysalis::proxy {

// The timers a request may have running; each kind at most once.
enum class FlowTimer { Deadline, FirstToken, Hedge, DrainGrace, QueueWait };
constexpr std::size_t kFlowTimerKinds = 5;

// A frame for the request's client stream (the node sets the stream id).
struct SendToClient {
  proto::Frame frame;
};
// A frame (the request itself) for a worker stream the flow was given by the router.
struct SendToWorker {
  uint64_t worker_conn = 0;
  proto::Frame frame;
};
struct CancelOnWorker {
  uint64_t worker_conn = 0, stream = 0;
  std::string reason;
};
// The worker broke the protocol: the node closes its connection.
struct CloseWorker {
  uint64_t worker_conn = 0;
  std::string reason;
};
// Frames of this worker stream belong to the flow from now on / no longer.
struct WatchStream {
  uint64_t worker_conn = 0, stream = 0;
};
struct ForgetStream {
  uint64_t worker_conn = 0, stream = 0;
};
struct SetTimer {
  FlowTimer timer;
  int64_t at_us = 0;  // on the clock the flow is driven with
};
struct ClearTimer {
  FlowTimer timer;
};
// The end of a paid answer: settle `reservation` for `usage` durably, then send `end` to the client.
struct SettleThenSend {
  uint64_t reservation = 0;
  proto::Usage usage;
  proto::Frame end;
};
// Signed amounts may have changed (a drained request was charged).
struct PaymentsChanged {};
// The client's side of the request is over (its stream may be reused); `outcome` for metrics.
struct ClientDone {
  std::string outcome;
};
// The answer failed mid-way through no fault of the client: the client may continue it on
// another worker (resume_book.h). `failed_workers` are not to be tried for the continuation.
struct RememberResumable {
  std::vector<uint64_t> failed_workers;
  uint32_t resumes = 0;  // continuations the answer had already
};
// Every worker for the model is busy: the request waits in the admission queue (admission_queue.h)
// and the node calls on_admitted when a slot may be free, or on_queue_refused.
struct Enqueue {
  std::string model;
  uint32_t remaining_ms = 0;  // of the request's deadline
};
// A queued request left before it was admitted (cancelled, timed out).
struct LeaveQueue {};
// Nothing of the request remains: the node drops the flow.
struct FlowDone {};

using FlowAction = std::variant<SendToClient, SendToWorker, CancelOnWorker, CloseWorker, WatchStream, ForgetStream,
                                SetTimer, ClearTimer, SettleThenSend, PaymentsChanged, ClientDone, RememberResumable,
                                Enqueue, LeaveQueue, FlowDone>;
using FlowActions = std::vector<FlowAction>;

}  // namespace chrysalis::proxy
