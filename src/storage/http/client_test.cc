#include "storage/http/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <string>

#include "storage/http/scripted_server.h"
#include "util/error.h"

namespace wrapp::storage::http {
namespace {

using testing::Reply;
using testing::ScriptedServer;
using namespace std::chrono_literals;

TEST(HttpClient, GetsStatusHeadersAndBody) {
  ScriptedServer server({{200, {{"ETag", "\"abc\""}, {"X-Amz-Meta-Wrapp-Hash", "h"}}, "hello"}});
  Client client;
  Response r = client.perform({.method = "GET", .url = server.url("/a/b?x=1")});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("etag"), "\"abc\"");
  EXPECT_EQ(r.header("x-amz-meta-wrapp-hash"), "h");
  EXPECT_EQ(client.traffic().requests, 1u);
  EXPECT_TRUE(server.requests().at(0).starts_with("GET /a/b?x=1 HTTP/1.1"));
}

TEST(HttpClient, SendsBodiesFromBuffersAndReadersWithTheirHeaders) {
  ScriptedServer server({{200}, {201}, {200}});
  Client client;
  client.perform({.method = "PUT", .url = server.url("/k"), .headers = {{"If-None-Match", "*"}}, .body = "payload"});
  std::string source(100000, 'x');
  size_t at = 0;
  Request streamed{.method = "PUT", .url = server.url("/big")};
  streamed.body_reader = [&](char* buf, size_t cap) {
    size_t n = std::min(cap, source.size() - at);
    std::memcpy(buf, source.data() + at, n);
    at += n;
    return n;
  };
  streamed.body_size = source.size();
  EXPECT_EQ(client.perform(streamed).status, 201);
  client.perform({.method = "POST", .url = server.url("/k?uploads")});
  auto seen = server.requests();
  EXPECT_NE(seen[0].find("If-None-Match: *"), std::string::npos);
  EXPECT_TRUE(seen[0].ends_with("\r\n\r\npayload"));
  EXPECT_TRUE(seen[1].ends_with(source));
  EXPECT_TRUE(seen[2].starts_with("POST /k?uploads"));
  EXPECT_EQ(client.traffic().bytes_sent, 7u + source.size());
}

// s3rver answers a range of an empty object with a Content-Length of 1 and
// no body: a caller told at the end of the head can refuse it at once
// instead of waiting for a byte that never comes.
TEST(HttpClient, TellsTheStatusWhenTheHeadEndsSoACallerCanRefuseABodyThatNeverComes) {
  struct Refused {};
  ScriptedServer server({{206, {{"Content-Range", "bytes 0-0/0"}}, "x", Reply::Kind::kTruncateThenStall, 20s}});
  Client client;
  Request r{.method = "GET", .url = server.url("/empty"), .headers = {{"Range", "bytes=0-1023"}}};
  std::map<std::string, std::string> told;
  r.sink = [](const char*, size_t) { ADD_FAILURE() << "a body byte came"; };
  r.on_status = [&](long status, const std::map<std::string, std::string>& headers) {
    EXPECT_EQ(status, 206);
    told = headers;
    throw Refused{};
  };
  auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(client.perform(r), Refused);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "waited for the announced byte";
  EXPECT_EQ(told["content-range"], "bytes 0-0/0");
}

TEST(HttpClient, StreamsSuccessfulBodiesToTheSinkButKeepsErrorBodies) {
  ScriptedServer server({{200, {}, "streamed"}, {404, {}, "<Error><Code>NoSuchKey</Code></Error>"}});
  Client client;
  std::string got;
  Request r{.method = "GET", .url = server.url("/x")};
  r.sink = [&](const char* d, size_t n) { got.append(d, n); };
  EXPECT_EQ(client.perform(r).body, "");
  EXPECT_EQ(got, "streamed");
  got.clear();
  Response missing = client.perform(r);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(got, "");
  EXPECT_NE(missing.body.find("NoSuchKey"), std::string::npos);
}

TEST(HttpClient, TransportFailuresNameTheUrlWithoutItsSecrets) {
  ScriptedServer server({{.kind = Reply::Kind::kClose}});
  Client client;
  try {
    client.perform({.method = "GET", .url = server.url("/obj?sig=SECRET&sv=2020")});
    FAIL() << "no error";
  } catch (const TransportError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(server.url("/obj")), std::string::npos) << m;
    EXPECT_EQ(m.find("SECRET"), std::string::npos) << m;
    EXPECT_EQ(e.exit_code(), 2);
  }
}

TEST(HttpClient, ATruncatedBodyIsAnError) {
  ScriptedServer server({{200, {}, std::string(1000, 'b'), Reply::Kind::kTruncate}});
  Client client;
  EXPECT_THROW(client.perform({.method = "GET", .url = server.url("/t")}), TransportError);
}

TEST(HttpClient, ASinkThatThrowsAbortsWithItsOwnError) {
  ScriptedServer server({{200, {}, "data"}});
  Client client;
  Request r{.method = "GET", .url = server.url("/x")};
  r.sink = [](const char*, size_t) { fail_with(ErrorCode::kDamaged, "bytes do not match"); };
  EXPECT_THROW(client.perform(r), FailedCommand);
}

TEST(HttpClient, CancellationStopsAStalledTransfer) {
  ScriptedServer server({{200, {}, "late", Reply::Kind::kStall, 30s}});
  std::atomic<bool> cancelled{false};
  Client client(ClientOptions{.check_cancelled = [&] {
    if (cancelled) throw Cancelled();
  }});
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancelled = true;
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(client.perform({.method = "GET", .url = server.url("/slow")}), Cancelled);
  // libcurl calls the check at least once a second while a transfer waits.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  canceller.join();
}

TEST(HttpClient, RetriesTransientFailuresThenGivesTheLastAnswer) {
  ScriptedServer server({{503}, {.kind = Reply::Kind::kClose}, {429}, {200, {}, "ok"}});
  Client client;
  int attempts = 0;
  Response r = with_retries(
      [&] {
        ++attempts;
        return client.perform({.method = "GET", .url = server.url("/r")});
      },
      RetryPolicy{.attempts = 5, .base = 1ms, .cap = 5ms}, {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(attempts, 4);

  ScriptedServer failing({{500}, {500}});
  attempts = 0;
  r = with_retries(
      [&] {
        ++attempts;
        return client.perform({.method = "GET", .url = failing.url("/r")});
      },
      RetryPolicy{.attempts = 2, .base = 1ms, .cap = 1ms}, {});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(attempts, 2);
  ScriptedServer client_error(std::vector<Reply>{{404}});
  attempts = 0;
  r = with_retries(
      [&] {
        ++attempts;
        return client.perform({.method = "GET", .url = client_error.url("/r")});
      },
      RetryPolicy{.attempts = 5, .base = 1ms, .cap = 1ms}, {});
  EXPECT_EQ(attempts, 1);
}

TEST(HttpClient, SignsWithSigV4) {
  ScriptedServer server(std::vector<Reply>{{200}});
  Client client;
  Request r{.method = "GET", .url = server.url("/bucket/key")};
  r.sigv4 = SigV4{.region = "eu-west-1", .access_key_id = "AKID", .secret_access_key = "SECRETKEY",
                  .session_token = "TOKEN"};
  client.perform(r);
  std::string head = server.requests().at(0);
  EXPECT_NE(head.find("Authorization: AWS4-HMAC-SHA256 Credential=AKID/"), std::string::npos) << head;
  EXPECT_NE(head.find("/eu-west-1/s3/aws4_request"), std::string::npos) << head;
  EXPECT_NE(head.find("x-amz-content-sha256: UNSIGNED-PAYLOAD"), std::string::npos) << head;
  EXPECT_NE(head.find("x-amz-security-token: TOKEN"), std::string::npos) << head;
  EXPECT_EQ(head.find("SECRETKEY"), std::string::npos);
}

TEST(HttpClient, RedactAndEncode) {
  EXPECT_EQ(redact("https://user:pw@host:9000/a/b?sig=1#f"), "https://host:9000/a/b");
  EXPECT_EQ(redact("http://h"), "http://h");
  EXPECT_EQ(uri_encode("a b/c~d%", true), "a%20b/c~d%25");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
}

}  // namespace
}  // namespace wrapp::storage::http
