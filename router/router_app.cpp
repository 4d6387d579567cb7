#include "router/router_app.h"

#include <algorithm>

#include "common/log.h"

namespace peregrine::router {
namespace {

std::filesystem::path snapshot_path(const QueueOptions& q) { return q.dir / "dedup.snapshot"; }

}  // namespace

QueueOptions queue_options_from(const config::QueueConfig& q) {
  QueueOptions o;
  o.dir = q.dir;
  o.segment_bytes = static_cast<uint64_t>(q.segment_bytes);
  o.max_bytes = std::max<uint64_t>(static_cast<uint64_t>(q.max_bytes), o.segment_bytes);
  o.fsync = q.fsync;
  o.fsync_interval = std::chrono::milliseconds(q.fsync_interval_ms);
  return o;
}

RouterApp::RouterApp(config::RouterConfig cfg, RouterAppOptions opts) : cfg_(std::move(cfg)), opts_(std::move(opts)) {
  if (opts_.queue_max_bytes) cfg_.queue.max_bytes = static_cast<int64_t>(*opts_.queue_max_bytes);
  if (opts_.drain_timeout) cfg_.drain_timeout_ms = opts_.drain_timeout->count();
}

Result<std::unique_ptr<RouterApp>> RouterApp::create(const config::RouterConfig& cfg, RouterAppOptions opts) {
  std::unique_ptr<RouterApp> app(new RouterApp(cfg, std::move(opts)));
  outputs::Registry registry;
  outputs::register_builtin_outputs(registry);
  auto outs = registry.create_all(cfg.outputs);
  if (!outs) return outs.error();
  app->outputs_ = std::move(outs).value();
  try {
    app->alerts_keys_ = transport::load_server_keys(cfg.alerts_curve);
    if (app->alerts_keys_) {
      app->zap_ = std::make_unique<transport::ZapHandler>(
          app->zmq_, std::map<std::string, std::vector<std::string>>{{"alerts", app->alerts_keys_->allowed_client_keys}});
      logger("router")->info("alerts link: CURVE on, public key {}, {} allowed engine key(s)",
                             app->alerts_keys_->public_key, app->alerts_keys_->allowed_client_keys.size());
    }
  } catch (const transport::TransportError& e) {
    return make_error(e.what(), ErrorCode::kInvalid);
  }
  for (auto& o : app->opts_.extra_outputs) app->outputs_.push_back(std::move(o));
  app->opts_.extra_outputs.clear();

  const QueueOptions qo = queue_options_from(app->cfg_.queue);
  if (qo.max_bytes != static_cast<uint64_t>(app->cfg_.queue.max_bytes))
    logger("router")->warn("queue disk budget of {} bytes is below one segment; using {} bytes",
                           app->cfg_.queue.max_bytes, qo.max_bytes);
  auto q = DurableQueue::open(qo);
  if (!q) return make_error("router queue: " + q.error().message);
  app->queue_ = std::move(q).value();
  app->window_ = std::make_unique<DedupWindow>(static_cast<size_t>(std::max<int64_t>(cfg.dedup_window, 1)));
  auto scanned = rebuild_dedup(*app->window_, *app->queue_, snapshot_path(qo));
  if (!scanned) return make_error("router dedup rebuild: " + scanned.error().message);
  app->queue_->set_before_reclaim([w = app->window_.get(), path = snapshot_path(qo)] {
    // Must succeed before segments go away; on failure the uuids of reclaimed records could be forgotten.
    if (auto r = w->save(path); !r) logger("router")->warn("dedup snapshot failed: {}", r.error().message);
  });
  app->dead_letter_ = std::make_unique<DeadLetterFile>(qo.dir / "dead-letter.jsonl");
  app->pipeline_ = std::make_unique<IntakePipeline>(*app->queue_, *app->window_, app->dead_letter_.get());
  for (auto& o : app->outputs_)
    app->workers_.push_back(std::make_unique<DeliveryWorker>(*o, *app->queue_, *app->dead_letter_, app->metrics_));
  const auto st = app->queue_->stats();
  logger("router")->info("queue {}: {} records retained ({} of {} bytes, {} segments), dedup window {} uuids, "
                         "{} outputs", qo.dir.string(), st.next_seq - st.first_seq, st.bytes_on_disk, qo.max_bytes,
                         st.segments, app->window_->size(), app->outputs_.size());
  if (st.truncated_tail || st.corrupt_records)
    logger("router")->warn("queue recovery: {} truncated tail(s), {} corrupt record(s) skipped", st.truncated_tail,
                           st.corrupt_records);
  app->register_metrics();
  return app;
}

RouterApp::~RouterApp() { stop(); }

Result<void> RouterApp::start() {
  for (auto& w : workers_) {
    auto r = w->start();
    if (!r) {
      stop();
      return make_error("output " + w->name() + ": " + r.error().message, r.error().code);
    }
  }
  housekeeper_ = std::thread([this] { housekeeping(); });
  {
    std::lock_guard lk(mu_);
    started_ = true;
  }
  try {
    transport::AlertReceiverOptions ropts;
    ropts.drop_acks = static_cast<size_t>(cfg_.fault_drop_acks);
    ropts.curve = alerts_keys_;
    ropts.zap_domain = "alerts";
    receiver_ = std::make_unique<transport::AlertReceiver>(
        zmq_, cfg_.alerts_endpoint,
        [this](std::vector<transport::AlertEnvelope>& b) { return on_engine_batch(b); }, ropts);
    if (cfg_.http_input.enabled) http_intake_ = std::make_unique<HttpIntake>(cfg_.http_input, *pipeline_, &http_unauthorized_);
    admin_ = std::make_unique<http::AdminServer>(cfg_.http, metrics_, [this] { return healthy(); });
  } catch (const std::exception& e) {
    stop();
    return make_error(e.what(), ErrorCode::kUnavailable);
  }
  logger("router")->info("started: alerts on {}, http intake on {}, admin on port {}", receiver_->endpoint(),
                         http_intake_ ? std::to_string(http_intake_->port()) : "off", admin_->port());
  return {};
}

bool RouterApp::on_engine_batch(std::vector<transport::AlertEnvelope>& batch) {
  std::vector<RawAlert> raw;
  raw.reserve(batch.size());
  for (auto& e : batch) raw.push_back(RawAlert{std::move(e.uuid), std::move(e.json)});
  auto r = pipeline_->accept_raw(std::move(raw));
  if (!r) {
    // Not acknowledged: the engine keeps the alerts and re-sends them. Warn once per episode (counted always).
    if (!refusing_.exchange(true))
      logger("router")->warn("refusing engine alerts until the queue accepts again: {}", r.error().message);
    return false;
  }
  if (refusing_.exchange(false)) logger("router")->info("queue accepts engine alerts again");
  return true;
}

bool RouterApp::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return true;
    stopped_ = true;
  }
  cv_.notify_all();
  auto log = logger("router");
  receiver_.reset();      // no new engine batches; unacknowledged ones are re-sent by the engine
  http_intake_.reset();   // no new HTTP alerts
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.drain_timeout_ms);
  for (auto& w : workers_) w->stop(deadline);
  bool drained = true;
  for (auto& w : workers_) {
    w->join();
    if (w->lag() != 0) {
      drained = false;
      log->warn("output {} not drained: {} alerts stay queued for the next start", w->name(), w->lag());
    }
  }
  if (housekeeper_.joinable()) housekeeper_.join();
  if (queue_) {
    if (auto r = window_->save(snapshot_path(queue_->options())); !r) log->warn("dedup snapshot: {}", r.error().message);
    if (auto r = queue_->sync(); !r) log->warn("final queue fsync: {}", r.error().message);
  }
  admin_.reset();
  log->info("stopped ({})", drained ? "all outputs drained" : "some alerts remain queued");
  return drained;
}

void RouterApp::housekeeping() {
  // Under fsync: interval, a quiet queue must still reach the disk within the interval.
  const auto period = std::max(queue_->options().fsync_interval, std::chrono::milliseconds(10));
  std::unique_lock lk(mu_);
  while (!stopped_) {
    cv_.wait_for(lk, period);
    lk.unlock();
    if (auto r = queue_->sync_if_due(); !r) logger("router")->warn("queue fsync: {}", r.error().message);
    lk.lock();
  }
}

bool RouterApp::healthy() const {
  std::lock_guard lk(mu_);
  return started_ && !stopped_ && !queue_->failed();
}

std::string RouterApp::alerts_endpoint() const { return receiver_ ? receiver_->endpoint() : ""; }
int RouterApp::http_intake_port() const { return http_intake_ ? http_intake_->port() : 0; }
int RouterApp::admin_port() const { return admin_ ? admin_->port() : 0; }

}  // namespace peregrine::router
