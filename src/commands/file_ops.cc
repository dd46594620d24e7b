#include "commands/file_ops.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>

#include "commands/folder_batches.h"
#include "commands/tree.h"
#include "exec/task_group.h"
#include "model/hash.h"
#include "util/error.h"

namespace wrapp::commands {

using storage::Url;

namespace {

// 32 chunks = 32 MiB per parallel segment: large enough that per-task cost is
// noise, small enough that a 256 MiB file keeps 8 threads busy.
constexpr uint64_t kChunksPerSegment = 32;
constexpr uint64_t kSegmentSize = kChunksPerSegment * model::kHashChunkSize;

// Bytes already in memory (Reader::in_memory) cost CPU and no waiting: where
// the pass leaves cores idle (pass_has_spare_cores) they go in segments of
// 8 chunks, so that one file of 8 to 32 MiB (an update that copies one
// changed texture) is hashed on every core, not one: such an update took
// 50 ms instead of 67 (docs/performance.md). Where other items keep the
// cores busy, shorter segments only add tasks and buffers (a warm install
// of four such files: 3-6% slower). Bytes on the disk keep the long
// segments: more streams reading one cold file at once, in pieces its
// read-ahead does not follow, made a cold install of four files of 32 MiB
// slower (273 -> 335 ms).
constexpr uint64_t kChunksPerWarmSegment = 8;
constexpr uint64_t kWarmSegmentSize = kChunksPerWarmSegment * model::kHashChunkSize;

uint64_t chunk_count(uint64_t size) { return (size + model::kHashChunkSize - 1) / model::kHashChunkSize; }

// Tells the for_each_transfer whose item this thread is running (if any)
// that the item waits on its storage: it starts another worker now, while
// items are left (run_workers).
void note_waiting_on_storage();

// Whether the item this thread is running may use more cores than its own:
// its pass (run_workers) has no item left to take and fewer items in
// progress than the CPU pool has threads (an update that copies one file).
// False outside such a pass: a walk's hashing (catalog, status) runs many
// files at once on its own. A hint: other items may end or start meanwhile.
bool pass_has_spare_cores();

// A first read of a range this long that takes this long came from the
// disk, not the page cache: the range will keep its worker waiting, and
// another worker can use the disk and the CPU meanwhile. Measured on the
// reference machine: 1 MiB from the page cache took 0.2 ms, and 0.75-1.2
// ms as a thread's first read (its buffer's pages are new); from the disk
// 4.5-14 ms.
constexpr uint64_t kLongRange = 8 * model::kHashChunkSize;
constexpr auto kWaitedRead = std::chrono::milliseconds(3);

// Ranges at least this big are hashed where their bytes lie (a local file's
// pages, mapped: Reader::visit_in_place) instead of being copied into a
// buffer first; that copy took 13% of catalog's CPU in a profile. Below
// it, mapping and unmapping (which interrupts the other cores to flush their
// TLBs) costs more than the copy saves.
constexpr uint64_t kHashInPlaceAtLeast = 4 * model::kHashChunkSize;

// Hashes the chunks of one range visited in place. A bus error (the file
// truncated meanwhile) leaves this function by a jump: nothing here owns
// anything with a destructor (Reader::visit_in_place).
struct InPlaceChunks {
  model::Digest* digests;  // of the range's first chunk
  exec::ProgressJob* progress;
  const exec::CancellationToken* token;
};

void hash_chunks_in_place(const char* data, size_t len, void* arg) {
  auto* range = static_cast<InPlaceChunks*>(arg);
  for (size_t at = 0, k = 0; at < len; at += model::kHashChunkSize, ++k) {
    range->token->throw_if_cancelled();
    size_t n = std::min<size_t>(model::kHashChunkSize, len - at);
    range->digests[k] = model::sha256(data + at, n);
    if (range->progress) range->progress->add_done(0, n);
  }
}

// Hashes [first_chunk, last_chunk) of `reader` in place when the range is
// big enough and the reader can; false when the caller must read it.
bool hash_in_place(storage::Reader& reader, uint64_t size, uint64_t first_chunk, uint64_t last_chunk,
                   std::vector<model::Digest>& digests, const Url& from, exec::ProgressJob* progress,
                   const exec::CancellationToken& token) {
  uint64_t off = first_chunk * model::kHashChunkSize;
  uint64_t end = std::min(size, last_chunk * model::kHashChunkSize);
  if (end - off < kHashInPlaceAtLeast) return false;
  InPlaceChunks range{digests.data() + first_chunk, progress, &token};
  if (!reader.visit_in_place(off, static_cast<size_t>(end - off), hash_chunks_in_place, &range)) return false;
  // As a read asks for one byte more at the end: getting it means the file
  // grew while it was hashed, which would silently lose its tail.
  char probe;
  if (end == size && reader.read_at(size, &probe, 1) != 0) {
    fail("'{}' changed size while being read (expected {} bytes)", from.display(), size);
  }
  return true;
}

// Reads [first_chunk, last_chunk) of `reader`, `window` chunks per read (one
// request each where reads are requests), stores each chunk's digest and,
// when `writer` is given, writes the bytes at the same offsets.
void process_chunks(storage::Reader& reader, storage::Writer* writer, uint64_t size, uint64_t first_chunk,
                    uint64_t last_chunk, uint64_t window, std::vector<model::Digest>& digests, const Url& from,
                    exec::ProgressJob* progress, const exec::CancellationToken& token) {
  constexpr uint64_t kChunk = model::kHashChunkSize;
  if (!writer && window == 1 && hash_in_place(reader, size, first_chunk, last_chunk, digests, from, progress, token)) {
    return;
  }
  // One chunk (and a byte) per thread, reused: small files must not pay
  // for a megabyte allocation each. A wider window (remote reads) is this
  // call's own: held only while its requests run, so memory stays bounded
  // by the streams in flight.
  thread_local std::unique_ptr<char[]> one_chunk(new char[kChunk + 1]);
  std::unique_ptr<char[]> wide;
  window = std::max<uint64_t>(1, std::min(window, last_chunk - first_chunk));
  char* buf = one_chunk.get();
  if (window > 1) {
    uint64_t bytes = std::min(window * kChunk, size - first_chunk * kChunk);
    wide.reset(new char[bytes + 1]);
    buf = wide.get();
  }
  uint64_t total_chunks = chunk_count(size);
  for (uint64_t c = first_chunk; c < last_chunk; c += window) {
    token.throw_if_cancelled();
    uint64_t n = std::min(window, last_chunk - c);
    uint64_t off = c * kChunk;
    size_t want = static_cast<size_t>(std::min<uint64_t>(n * kChunk, size - off));
    // The last chunk asks for one byte more: getting it means the file grew
    // while we read it, which would silently lose its tail.
    bool last = c + n == total_chunks;
    // Only reads that are system calls (window 1), the first of a long range.
    bool watch = window == 1 && c == first_chunk && (last_chunk - first_chunk) * kChunk >= kLongRange;
    auto started = watch ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    size_t got = reader.read_at(off, buf, want + (last ? 1 : 0));
    if (watch && std::chrono::steady_clock::now() - started >= kWaitedRead) note_waiting_on_storage();
    if (got != want) fail("'{}' changed size while being read (expected {} bytes)", from.display(), size);
    for (uint64_t k = 0; k < n; ++k) {
      size_t at = static_cast<size_t>(k * kChunk);
      digests[c + k] = model::sha256(buf + at, std::min<size_t>(kChunk, got - at));
    }
    if (writer) writer->write_at(off, buf, got);
    if (progress) progress->add_done(0, got);
  }
}

// A big object whose reads are requests, read by several ranged requests at
// once: the caller's thread is one stream, and each other stream runs on the
// io pool only while it holds a unit of the source's connection throttle,
// taken without waiting (a command already using every connection reads the
// object by one stream). Each stream takes the next unread window.
void read_in_parallel_ranges(CommandContext& ctx, storage::Storage& source, storage::Reader& reader,
                             storage::Writer* writer, uint64_t window, std::vector<model::Digest>& digests,
                             const Url& from, exec::ProgressJob* progress, const exec::CancellationToken& token) {
  auto features = source.features();
  uint64_t size = reader.size();
  uint64_t chunks = digests.size();
  uint64_t windows = (chunks + window - 1) / window;
  std::atomic<uint64_t> next{0};
  auto stream = [&] {
    for (uint64_t w = next++; w < windows; w = next++) {
      uint64_t first = w * window;
      process_chunks(reader, writer, size, first, std::min(chunks, first + window), window, digests, from,
                     progress, token);
    }
  };
  auto& connections = ctx.scheduler.connections(source.name(), features.connections);
  size_t extra = static_cast<size_t>(std::min<uint64_t>(features.ranged_read_streams, windows)) - 1;
  // wait() runs queued streams on this thread: the first is the caller's.
  exec::TaskGroup group(ctx.scheduler.io_pool(), token);
  group.spawn(stream);
  for (size_t i = 0; i < extra; ++i) {
    auto slot = std::make_shared<exec::Throttle::Slot>(connections.try_acquire());
    if (!slot->held()) break;
    group.spawn([slot, &stream] { stream(); });
  }
  group.wait();  // the first failure stops the other streams at their next window
}

// Streams `reader` (optionally into `writer`) and returns the flat hash,
// in parallel when the file is large and the writer allows it: segments
// hashed on the cpu pool where reads are cheap (a disk; shorter ones when
// the bytes are in memory), ranged requests in flight at once where each
// read is a request (an object store).
model::ContentHash stream_and_hash(CommandContext& ctx, storage::Storage& source, storage::Reader& reader,
                            storage::Writer* writer, bool parallel_write, const Url& from,
                            exec::ProgressJob* progress) {
  uint64_t size = reader.size();
  uint64_t chunks = chunk_count(size);
  std::vector<model::Digest> digests(chunks);
  auto token = ctx.scheduler.token().child();
  auto features = source.features();
  bool may_split = !writer || parallel_write;
  uint64_t window = std::max<uint64_t>(1, features.ranged_read_size / model::kHashChunkSize);
  if (features.ranged_read_size > 0) {
    if (may_split && features.ranged_read_streams > 1 && chunks > window) {
      read_in_parallel_ranges(ctx, source, reader, writer, window, digests, from, progress, token);
    } else {
      process_chunks(reader, writer, size, 0, chunks, window, digests, from, progress, token);
    }
  } else {
    bool split = may_split && size > kWarmSegmentSize;
    uint64_t per_segment = split && pass_has_spare_cores() && reader.in_memory(0, static_cast<size_t>(size))
                               ? kChunksPerWarmSegment
                               : kChunksPerSegment;
    if (!split || chunks <= per_segment) {
      process_chunks(reader, writer, size, 0, chunks, 1, digests, from, progress, token);
    } else {
      exec::TaskGroup group(ctx.scheduler.cpu_pool(), token);
      for (uint64_t first = 0; first < chunks; first += per_segment) {
        uint64_t last = std::min(chunks, first + per_segment);
        group.spawn([&, first, last] {
          process_chunks(reader, writer, size, first, last, 1, digests, from, progress, token);
        });
      }
      group.wait();
    }
  }
  if (chunks == 0) {  // empty: nothing read yet to tell whether it grew
    char probe;
    if (reader.read_at(0, &probe, 1) != 0) fail("'{}' changed size while being read", from.display());
  }
  return model::ContentHash(model::flat_digest_from_chunk_digests(digests));
}

}  // namespace

LinkMode parse_link_mode(const std::string& text) {
  if (text == "copy") return LinkMode::kCopy;
  if (text == "hardlink") return LinkMode::kHardlink;
  if (text == "reflink") return LinkMode::kReflink;
  fail("invalid link mode '{}': expected copy, hardlink or reflink", text);
}

const char* link_mode_name(LinkMode mode) {
  switch (mode) {
    case LinkMode::kCopy: return "copy";
    case LinkMode::kHardlink: return "hardlink";
    case LinkMode::kReflink: return "reflink";
  }
  return "?";
}

model::FileStamp stamp_of(const storage::FileInfo& info) {
  return {info.size, info.mtime_ns, info.ctime_ns, info.inode};
}

std::optional<HashCacheKey> hash_cache_key(storage::Storage& store, const Url& url, const storage::FileInfo& info) {
  if (store.features().stable_identity) return HashCacheKey{url.path(), stamp_of(info)};
  // (A local store without stable identities has ETags made of the stamp.)
  if (store.features().real_folders || info.etag.empty() || info.etag.starts_with("W/")) return std::nullopt;
  model::Digest digest = model::sha256(info.etag.data(), info.etag.size());
  uint64_t folded = 0;
  for (size_t i = 0; i < 8; ++i) folded = (folded << 8) | digest[i];
  std::string_view authority = url.authority();
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string key = url.scheme() + "://";
  key += authority;
  key += url.path();
  return HashCacheKey{std::move(key), model::FileStamp{.size = info.size, .inode = folded}};
}

model::ContentHash hash_object(CommandContext& ctx, const Url& url, const storage::FileInfo& info,
                        exec::ProgressJob* progress) {
  auto& store = ctx.store(url);
  std::optional<HashCacheKey> key = ctx.hash_cache ? hash_cache_key(store, url, info) : std::nullopt;
  if (key) {
    if (auto hit = ctx.hash_cache->lookup(key->key, key->stamp)) {
      if (progress) progress->add_done(0, info.size);
      return *hit;
    }
  }
  auto reader = store.open_read(url);
  if (!reader) fail("'{}' disappeared while being read", url.display());
  if (reader->size() != info.size) fail("'{}' changed size while being read", url.display());
  model::ContentHash hash = stream_and_hash(ctx, store, *reader, nullptr, false, url, progress);
  if (key) {
    // Only cache what we know matches the bytes we hashed: the identity of
    // the object read (not of whatever the name holds now, which may lie
    // behind a link the walk followed) must be the one it had before.
    if (hash_cache_key(store, url, reader->info()) == key) ctx.hash_cache->insert(key->key, key->stamp, hash);
  }
  return hash;
}

void remember_hash(CommandContext& ctx, const Url& url, const model::ContentHash& hash,
                   const std::optional<storage::FileInfo>& written) {
  if (!ctx.hash_cache || hash.empty()) return;
  auto& store = ctx.store(url);
  if (!store.features().stable_identity) return;
  auto info = written ? written : store.stat(url);
  if (info && info->is_file()) ctx.hash_cache->insert(url.path(), stamp_of(*info), hash);
}

namespace {

model::ContentHash copy_server_side_then_verify(CommandContext& ctx, const CopyRequest& req,
                                                exec::ProgressJob* progress) {
  auto& store = ctx.store(req.to);
  // The copy checks that the source exists, and the verification its bytes
  // (a size that differs cannot hash the same): no stat of its own, one
  // request less per file, unless the caller wants the source's identity.
  if (req.source_after) {
    auto source = store.stat(req.from);
    if (!source || !source->is_file()) fail("'{}' not found", req.from.display());
    *req.source_after = *source;
  }
  storage::WriteOptions wopts = req.write;
  wopts.content_hash = req.expected_hash.str();
  store.copy(req.from, req.to, wopts);
  // A copy that cannot be verified is not left behind: as a streamed
  // write abandoned, nothing of it stays.
  std::unique_ptr<storage::Reader> copy;
  model::ContentHash hash;
  try {
    copy = store.open_read(req.to);
    if (!copy) fail("'{}' vanished right after it was copied from '{}'", req.to.display(), req.from.display());
    hash = stream_and_hash(ctx, store, *copy, nullptr, false, req.to, progress);
  } catch (...) {
    try {
      store.remove(req.to, storage::RemoveOptions{.if_match = copy ? copy->info().etag : std::string()});
    } catch (const Error&) {
      // the first failure is the one to report
    }
    throw;
  }
  if (hash != req.expected_hash) {
    store.remove(req.to, storage::RemoveOptions{.if_match = copy->info().etag});
    fail("content of '{}' does not match its recorded hash (expected {}, read {}); its copy '{}' was removed",
         req.from.display(), req.expected_hash, hash, req.to.display());
  }
  return req.expected_hash;
}

}  // namespace

model::ContentHash copy_object(CommandContext& ctx, const CopyRequest& req, exec::ProgressJob* progress) {
  auto& src_store = ctx.store(req.from);
  auto& dst_store = ctx.store(req.to);
  bool same_store = &src_store == &dst_store;
  bool known = !req.expected_hash.empty();

  // A verification the hash cache already vouches for: the source is
  // unchanged (size, mtime, ctime, inode) since it was hashed to the
  // expected value. Asked with the identity of the source opened for the
  // copy: one resolution of its path, not a stat and then an open (where
  // the cache does not vouch, the bytes are read from this very file).
  // Local files only: elsewhere the identity costs a request per file, and
  // the bytes are read anyway.
  std::unique_ptr<storage::Reader> reader;
  std::optional<storage::FileInfo> source;
  bool verified = !req.need_hash;
  auto open_source = [&] {
    return req.from_folder ? req.from_folder->open_read(req.from.name()) : src_store.open_read(req.from);
  };
  if (!verified && req.trust_hash_cache && known && ctx.hash_cache && src_store.features().stable_identity) {
    reader = open_source();
    if (!reader) fail("'{}' not found", req.from.display());
    source = reader->opened_info();
    auto hit = ctx.hash_cache->lookup(req.from.path(), stamp_of(*source));
    verified = hit && *hit == req.expected_hash;
  }
  auto with_mode = [&](uint32_t source_mode) {
    storage::WriteOptions w = req.write;
    if (w.mode == 0 && source_mode != 0) w.mode = source_mode | (req.owner_writable ? 0200 : 0);
    return w;
  };
  if (same_store && known && verified) {
    if (dst_store.features().server_side_copy) {
      reader.reset();  // the copy opens the source itself
      if (!source) source = src_store.stat(req.from);
      if (!source || !source->is_file()) fail("'{}' not found", req.from.display());
      auto wopts = with_mode(source->mode);
      wopts.content_hash = req.expected_hash.str();
      dst_store.copy(req.from, req.to, wopts);
      if (progress) progress->add_done(0, req.size);
      if (req.remember_target_hash) remember_hash(ctx, req.to, req.expected_hash);
      return req.expected_hash;
    }
  }

  // Within one object store the bytes to verify are read once, from the
  // server-side copy, instead of down from the source and up again: the
  // copy is hashed before anything publishes it, and removed when it does
  // not match (a disk copies and hashes in one pass below). Only for a new
  // object no reader sees yet (a version folder being written): replacing
  // an existing object before its bytes were verified could lose it.
  bool unseen_new_object = req.write.in_place && !req.write.overwrite && req.write.if_match.empty();
  if (same_store && known && unseen_new_object && dst_store.features().server_side_copy &&
      !dst_store.features().real_folders) {
    return copy_server_side_then_verify(ctx, req, progress);
  }

  if (!reader) reader = open_source();
  if (!reader) fail("'{}' not found", req.from.display());
  if (reader->size() != req.size) {
    fail("'{}' has {} bytes, expected {}", req.from.display(), reader->size(), req.size);
  }
  storage::WriteOptions wopts = with_mode(source ? source->mode : reader->opened_info().mode);
  wopts.size_hint = req.size;
  // Kept with the object where the store keeps metadata (a hint for
  // readers, never proof: verification reads the bytes).
  if (known && dst_store.features().object_metadata) wopts.content_hash = req.expected_hash.str();
  auto writer = req.to_folder ? req.to_folder->open_write(req.to.name(), wopts) : dst_store.open_write(req.to, wopts);
  model::ContentHash hash =
      stream_and_hash(ctx, src_store, *reader, writer.get(), dst_store.features().parallel_write, req.from,
                      progress);
  if (req.source_after) *req.source_after = reader->info();
  if (known && hash != req.expected_hash) {
    fail("content of '{}' does not match its recorded hash (expected {}, read {}); nothing was written to '{}'",
         req.from.display(), req.expected_hash, hash, req.to.display());
  }
  if (!known) writer->set_content_hash(hash.str());  // object stores keep it: later checks read no bytes
  writer->commit();
  if (req.remember_target_hash) remember_hash(ctx, req.to, hash, writer->committed_info());
  return hash;
}

namespace {

// Files linked by one link_batch call: enough that resolving the two folders
// costs little per file, few enough that a folder of many files still
// spreads over every worker.
constexpr size_t kLinkBatch = 256;

// Whether two link items come from one source folder (in_one_folder) and go
// to one target folder.
bool same_folders(const LinkItem& a, const LinkItem& b) {
  return in_one_folder(*a.from, *b.from) && parent_dir(a.to) == parent_dir(b.to);
}

}  // namespace

std::vector<char> link_objects(CommandContext& ctx, const Url& to_root, const std::vector<LinkItem>& items,
                               LinkMode mode, const storage::WriteOptions& write, exec::ProgressJob* progress) {
  std::vector<char> linked(items.size(), 0);
  if (mode == LinkMode::kCopy || items.empty()) return linked;
  auto& store = ctx.store(to_root);
  auto store_mode = mode == LinkMode::kHardlink ? storage::LinkMode::kHardlink : storage::LinkMode::kReflink;
  // Runs of consecutive items that share their folders (a plan's order
  // keeps a folder's files together).
  struct Run {
    size_t begin;
    size_t end;
  };
  std::vector<Run> runs;
  for (size_t i = 0; i < items.size(); ++i) {
    const LinkItem& item = items[i];
    if (item.hash->empty() || &ctx.store(*item.from) != &store) continue;
    if (!runs.empty() && runs.back().end == i && i - runs.back().begin < kLinkBatch &&
        same_folders(items[runs.back().begin], item)) {
      runs.back().end = i + 1;
    } else {
      runs.push_back({i, i + 1});
    }
  }
  // Batches of one folder apart: two threads linking into one folder wait
  // on its lock.
  std::vector<char> same_folder(runs.size(), 0);
  for (size_t r = 1; r < runs.size(); ++r) {
    same_folder[r] = parent_dir(items[runs[r].begin].to) == parent_dir(items[runs[r - 1].begin].to);
  }
  std::vector<size_t> order = spread_by_folder(same_folder);
  // Set when a batch of clones linked nothing: the file system has no
  // copy-on-write, and every later batch would be refused too (each
  // refusal costs a file made and removed): the rest are copied.
  std::atomic<bool> clones_refused{false};
  for_each_transfer(ctx, runs.size(), [&](size_t k) {
    if (clones_refused.load(std::memory_order_relaxed)) return;
    const Run& run = runs[order[k]];
    const LinkItem& first = items[run.begin];
    std::string_view to_parent = parent_dir(first.to);
    Url to_folder = to_parent.empty() ? to_root : to_root.join(to_parent);
    std::vector<storage::Storage::LinkName> names;
    names.reserve(run.end - run.begin);
    for (size_t i = run.begin; i < run.end; ++i) {
      names.push_back({items[i].from->name(), std::string(base_name(items[i].to))});
    }
    auto infos = store.link_batch(first.from->parent(), to_folder, names, store_mode, write);
    size_t count = 0;
    uint64_t bytes = 0;
    for (size_t k = 0; k < infos.size(); ++k) {
      if (!infos[k]) continue;
      const LinkItem& item = items[run.begin + k];
      linked[run.begin + k] = 1;
      ++count;
      bytes += item.size;
      remember_hash(ctx, to_folder.join(names[k].to), *item.hash, infos[k]);
    }
    if (count == 0 && store_mode == storage::LinkMode::kReflink) clones_refused.store(true, std::memory_order_relaxed);
    if (progress) progress->add_done(count, bytes);
  }, &store);
  return linked;
}

namespace {

// Workers pull indices from a shared counter, so a million items cost a
// handful of queued tasks, not a million.
//
// They start at one per core and grow by one each time a worker's items
// took longer than kSlowItem twice in a row, up to the throttle's limit
// (--ftj, --jobs) and the store's connections. Twice: a worker preempted
// in the middle of one quick item (a busy machine, a virtual CPU whose
// host runs something else) would otherwise start a thread for nothing;
// on a noisy machine 200,000 items of a few instructions grew to 18
// workers that way. Many workers pay only where items wait (a disk's
// queue, a server's round trips): there the first slow items soon start
// them all. Where each item is a few microseconds of work in memory
// (planning an update of 5,000 files), fifty threads cost more to start and
// to schedule than the items themselves: an update of 50 files of 5,000 took
// 55.4-56.1 ms with 50 workers from the start, 50.8-51.4 ms with this rule
// (docs/performance.md).
constexpr auto kSlowItem = std::chrono::microseconds(50);

// What the pass whose item this thread runs answers to the work inside the
// item: note_waiting_on_storage calls on_wait, pass_has_spare_cores asks
// spare_cores. Set by a worker of run_workers for as long as it runs (the
// one that runs items nested in one of its items sets its own, then puts
// this one back). A plain pointer: a thread_local with a destructor would
// take the dynamic loader's lock on first use (docs/performance.md).
struct PassHooks {
  const std::function<void()>* on_wait;
  const std::function<bool()>* spare_cores;
};
thread_local const PassHooks* pass_hooks = nullptr;

class InPass {
 public:
  explicit InPass(const PassHooks* hooks) : previous_(pass_hooks) { pass_hooks = hooks; }
  ~InPass() { pass_hooks = previous_; }
  InPass(const InPass&) = delete;
  InPass& operator=(const InPass&) = delete;

 private:
  const PassHooks* previous_;
};

// The items' runs (WorkRun) and who takes which item next. A worker takes
// an untaken run and then that run's items, one at a time; once every run
// is taken, a worker that finished its own helps the run with the most
// items left, so the last runs still spread over every worker. Items are
// claimed one by one from their run's counter: each is taken exactly once.
class RunClaims {
 public:
  explicit RunClaims(const std::vector<WorkRun>& runs) : runs_(runs), next_item_(runs.size()) {
    for (size_t r = 0; r < runs.size(); ++r) next_item_[r].store(runs[r].begin, std::memory_order_relaxed);
  }

  // The next item for a worker that last worked on run `*run` (kNone at
  // first), updating `*run`; kNone when every item is taken.
  size_t claim(size_t* run) {
    for (;;) {
      if (*run != kNone) {
        size_t i = next_item_[*run].fetch_add(1, std::memory_order_relaxed);
        if (i < runs_[*run].end) return i;
      }
      *run = next_run_.fetch_add(1, std::memory_order_relaxed);
      if (*run < runs_.size()) continue;
      *run = fullest();
      if (*run == kNone) return kNone;
    }
  }

  // Whether items are still untaken (a hint: may be stale at once).
  bool items_left() const { return next_run_.load(std::memory_order_relaxed) < runs_.size() || fullest() != kNone; }

  static constexpr size_t kNone = SIZE_MAX;

 private:
  size_t fullest() const {
    size_t best = kNone, most = 0;
    for (size_t r = 0; r < runs_.size(); ++r) {
      size_t taken = next_item_[r].load(std::memory_order_relaxed);
      size_t left = taken < runs_[r].end ? runs_[r].end - taken : 0;
      if (left > most) best = r, most = left;
    }
    return best;
  }

  const std::vector<WorkRun>& runs_;
  std::vector<std::atomic<size_t>> next_item_;  // per run: its next untaken item
  std::atomic<size_t> next_run_{0};
};

void note_waiting_on_storage() {
  if (pass_hooks) (*pass_hooks->on_wait)();
}

bool pass_has_spare_cores() { return pass_hooks && (*pass_hooks->spare_cores)(); }

void run_workers(CommandContext& ctx, const std::vector<WorkRun>& runs, exec::Throttle& throttle,
                 const std::function<void(size_t)>& fn, storage::Storage* store) {
  size_t n = 0;
  for (const auto& run : runs) n += run.end - run.begin;
  if (n == 0) return;
  auto token = ctx.scheduler.token().child();
  RunClaims claims(runs);
  exec::Throttle* connections = nullptr;
  size_t limit = std::min(n, throttle.limit());
  if (store) {
    auto features = store->features();
    connections = &ctx.scheduler.connections(store->name(), features.connections);
    limit = std::min(limit, connections->limit());
  }
  size_t first = std::min(limit, std::max<size_t>(2, ctx.scheduler.cpu_pool().max_threads()));
  std::atomic<size_t> started{first};
  exec::TaskGroup group(ctx.scheduler.io_pool(), token);
  std::function<void()> worker;
  // Also what an item waiting on its storage calls (note_waiting_on_storage):
  // a few big files are all taken before any of them ends, so the rule
  // below would never start a worker for them. Four files of 32 MiB read
  // from a cold disk: an install took 233 ms with two workers, 186 ms with
  // four; cp -r 170 ms (docs/performance.md).
  const std::function<void()> add_worker = [&] {
    if (started.load(std::memory_order_relaxed) >= limit || !claims.items_left()) return;
    if (started.fetch_add(1) < limit) group.spawn(worker);
  };
  // Items being run: with none left to take, fewer than the CPU pool's
  // threads leave cores to the work inside them (pass_has_spare_cores).
  std::atomic<size_t> running{0};
  size_t cores = ctx.scheduler.cpu_pool().max_threads();
  const std::function<bool()> spare_cores = [&] {
    return !claims.items_left() && running.load(std::memory_order_relaxed) < cores;
  };
  const PassHooks hooks{&add_worker, &spare_cores};
  worker = [&] {
    InPass in_pass(&hooks);
    int slow_in_a_row = 0;
    size_t run = RunClaims::kNone;
    for (size_t i = claims.claim(&run); i != RunClaims::kNone; i = claims.claim(&run)) {
      token.throw_if_cancelled();
      auto slot = throttle.acquire(token);
      exec::Throttle::Slot connection;
      if (connections) connection = connections->acquire(token);
      auto start = std::chrono::steady_clock::now();
      struct Running {
        std::atomic<size_t>& count;
        explicit Running(std::atomic<size_t>& c) : count(c) { count.fetch_add(1, std::memory_order_relaxed); }
        ~Running() { count.fetch_sub(1, std::memory_order_relaxed); }
      } running_item(running);
      fn(i);
      if (started.load(std::memory_order_relaxed) >= limit || !claims.items_left()) continue;
      slow_in_a_row = std::chrono::steady_clock::now() - start > kSlowItem ? slow_in_a_row + 1 : 0;
      if (slow_in_a_row >= 2) {
        slow_in_a_row = 0;
        add_worker();
      }
    }
  };
  for (size_t w = 0; w < first; ++w) group.spawn(worker);
  group.wait();
}

}  // namespace

void for_each_transfer(CommandContext& ctx, size_t n, const std::function<void(size_t)>& fn,
                       storage::Storage* store) {
  run_workers(ctx, {{0, n}}, ctx.scheduler.transfers(), fn, store);
}

void for_each_transfer(CommandContext& ctx, const std::vector<WorkRun>& runs, const std::function<void(size_t)>& fn,
                       storage::Storage* store) {
  run_workers(ctx, runs, ctx.scheduler.transfers(), fn, store);
}

void for_each_request(CommandContext& ctx, size_t n, const std::function<void(size_t)>& fn,
                      storage::Storage* store) {
  run_workers(ctx, {{0, n}}, ctx.scheduler.requests(), fn, store);
}

}  // namespace wrapp::commands
