#include "storage/s3/s3_multipart.h"

#include "storage/s3/s3_xml.h"
#include "util/error.h"

namespace wrapp::storage::s3 {

namespace {

std::string xml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string copy_source(const Url& source) {
  return fmt::format("/{}/{}", http::uri_encode(Service::bucket_of(source), false),
                     http::uri_encode(Service::key_of(source), true));
}

MultipartUpload::MultipartUpload(Service& service, Url url, const Headers& headers)
    : service_(service), url_(std::move(url)) {
  Call call{.op = "start a multipart upload of", .method = "POST", .url = url_, .query = {{"uploads", ""}},
            .headers = headers};
  // The object's type, as a PUT's would be (libcurl would send a form's).
  call.headers.emplace_back("Content-Type", "binary/octet-stream");
  http::Response r = service_.send(call);
  if (!r.ok()) service_.fail(call, r);
  upload_id_ = parse_upload_id(r.body, url_.str());
}

MultipartUpload::~MultipartUpload() { abort(); }

void MultipartUpload::upload_part(int number, std::string_view data) {
  Call call{.op = "upload a part of", .method = "PUT", .url = url_,
            .query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}}, .body = data};
  http::Response r = service_.send(call);
  if (!r.ok()) service_.fail(call, r);
  std::string etag = r.header("etag");
  if (etag.empty()) throw StorageError(fmt::format("S3 sent no ETag for part {} of '{}'", number, url_.str()));
  std::lock_guard lock(mu_);
  etags_[number] = std::move(etag);
}

void MultipartUpload::copy_part(int number, const Url& source, const std::string& source_etag, uint64_t first,
                                uint64_t last) {
  Call call{.op = "copy a part into", .method = "PUT", .url = url_,
            .query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}},
            .headers = {{"x-amz-copy-source", copy_source(source)},
                        {"x-amz-copy-source-range", fmt::format("bytes={}-{}", first, last)},
                        {std::string(service_.dialect().copy_source_match_header), source_etag}}};
  http::Response r = service_.send(call);
  if (!r.ok()) service_.fail(call, r);
  std::string etag = parse_result_etag(r.body, url_.str());
  std::lock_guard lock(mu_);
  etags_[number] = std::move(etag);
}

http::Response MultipartUpload::complete(const Headers& conditions) {
  std::string body = "<CompleteMultipartUpload>";
  {
    std::lock_guard lock(mu_);
    for (const auto& [number, etag] : etags_) {
      body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", number, xml_escape(etag));
    }
  }
  body += "</CompleteMultipartUpload>";
  Headers headers = conditions;
  headers.emplace_back("Content-Type", "application/xml");
  Call call{.op = "complete the upload of", .method = "POST", .url = url_, .query = {{"uploadId", upload_id_}},
            .headers = headers, .body = body};
  http::Response r = service_.send(call);
  if (r.ok()) done_ = true;
  return r;
}

void MultipartUpload::abort() noexcept {
  if (done_) return;
  done_ = true;
  try {
    Call call{.op = "abort the upload of", .method = "DELETE", .url = url_, .query = {{"uploadId", upload_id_}},
              .cleanup = true};
    service_.send(call);  // a failure leaves the upload to the bucket's lifecycle rules
  } catch (...) {
  }
}

}  // namespace wrapp::storage::s3
