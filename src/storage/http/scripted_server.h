// A tiny HTTP/1.1 server on loopback for the HTTP client's tests: each
// connection gets the next scripted reply (a status, headers and body, or a
// misbehaviour: close at once, stall, break off mid-body). It records the
// request lines and headers it received.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace wrapp::storage::http::testing {

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // kStall: `stall` before the reply; kTruncate: half the body, then the
  // connection closes; kTruncateThenStall: half the body, then `stall`
  // with the connection open (a body announced that never comes).
  enum class Kind { kNormal, kClose, kStall, kTruncate, kTruncateThenStall } kind = Kind::kNormal;
  std::chrono::milliseconds stall{0};
};

class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<Reply> replies) : replies_(replies.begin(), replies.end()) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();  // ends a stall at once
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }

  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // Every request received so far: its head (request line and headers).
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      handle(c);
      ::close(c);
    }
  }

  // One request per connection (the reply says Connection: close).
  void handle(int c) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      head.append(buf, static_cast<size_t>(n));
    }
    size_t end = head.find("\r\n\r\n") + 4;
    std::string body = head.substr(end);
    head.resize(end);
    // Read the request body, if it announced one.
    size_t length = 0;
    for (const char* key : {"Content-Length: ", "content-length: "}) {
      if (auto at = head.find(key); at != std::string::npos) length = std::stoul(head.substr(at + std::strlen(key)));
    }
    while (body.size() < length) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      body.append(buf, static_cast<size_t>(n));
    }
    Reply reply;
    {
      std::lock_guard lock(mu_);
      requests_.push_back(head + body);
      if (!replies_.empty()) {
        reply = replies_.front();
        replies_.pop_front();
      }
    }
    if (reply.kind == Reply::Kind::kClose) return;
    if (reply.kind == Reply::Kind::kStall) {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, reply.stall, [this] { return stop_.load(); });
    }
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nConnection: close\r\n";
    for (const auto& [k, v] : reply.headers) out += k + ": " + v + "\r\n";
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
    bool truncate = reply.kind == Reply::Kind::kTruncate || reply.kind == Reply::Kind::kTruncateThenStall;
    out += truncate ? reply.body.substr(0, reply.body.size() / 2) : reply.body;
    ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
    if (reply.kind == Reply::Kind::kTruncateThenStall) {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, reply.stall, [this] { return stop_.load(); });
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Reply> replies_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace wrapp::storage::http::testing
