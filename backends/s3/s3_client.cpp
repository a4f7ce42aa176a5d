#include "backends/s3/s3_client.hpp"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <utility>

#include "backends/s3/sigv4.hpp"
#include "reactor/trace_scope.hpp"
#include "registry/digest.hpp"

namespace spoke {

struct S3Client::Response {
    long status = 0;
    std::string body;
};

namespace {

struct EasyDeleter {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// Everything one request's easy handle points at; owned by the request's completion, so it
// outlives the transfer (CurlMulti::add's contract).
struct RequestState {
    std::unique_ptr<CURL, EasyDeleter> easy;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    std::string url;
    std::string body;  // PUT payload
    size_t sent = 0;   // bytes of body handed to libcurl
    std::string response;
    std::string what;  // "GET \"key\"" for messages
    char error_buffer[CURL_ERROR_SIZE] = {};
};

size_t read_body(char* buffer, size_t size, size_t count, void* userp) {
    auto* state = static_cast<RequestState*>(userp);
    size_t n = std::min(size * count, state->body.size() - state->sent);
    std::memcpy(buffer, state->body.data() + state->sent, n);
    state->sent += n;
    return n;
}

size_t write_response(char* data, size_t size, size_t count, void* userp) {
    auto* state = static_cast<RequestState*>(userp);
    state->response.append(data, size * count);
    return size * count;
}

// "20150830T123600Z" for now, in UTC.
std::string amz_date_now() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char out[32];
    std::strftime(out, sizeof out, "%Y%m%dT%H%M%SZ", &utc);
    return out;
}

// The text of <tag>...</tag> in an S3 XML error body, or "" when absent.
std::string xml_element(const std::string& xml, std::string_view tag) {
    std::string open = "<" + std::string(tag) + ">";
    std::string close = "</" + std::string(tag) + ">";
    size_t begin = xml.find(open);
    if (begin == std::string::npos) return "";
    begin += open.size();
    size_t end = xml.find(close, begin);
    if (end == std::string::npos) return "";
    return xml.substr(begin, end - begin);
}

// A non-2xx, non-404 answer as an Error: 5xx is the service being unavailable; 403 and the
// rest are ours to fix (credentials, request), so Internal. Never names the secret.
Error status_error(const std::string& what, long status, const std::string& body) {
    std::string code = xml_element(body, "Code");
    std::string detail = "HTTP " + std::to_string(status);
    if (!code.empty()) detail += " " + code;
    std::string message = xml_element(body, "Message");
    if (!message.empty()) detail += ": " + message;
    if (status >= 500) return Error::unavailable("S3 " + what + " failed: " + detail);
    if (status == 403) {
        if (code.empty()) code = "AccessDenied or SignatureDoesNotMatch";
        return Error::internal("S3 refused " + what + " (" + code +
                               "): check the access key, secret key and region (" + detail + ")");
    }
    return Error::internal("S3 " + what + " failed: " + detail);
}

bool is_success(long status) {
    return status >= 200 && status < 300;
}

}  // namespace

S3Target s3_target(const S3Config& config, std::string_view key) {
    std::string_view endpoint = config.endpoint;
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
    std::string_view scheme = "http";
    size_t sep = endpoint.find("://");
    if (sep != std::string_view::npos) {
        scheme = endpoint.substr(0, sep);
        endpoint.remove_prefix(sep + 3);
    }
    S3Target target;
    if (config.path_style) {
        target.host = std::string(endpoint);
        target.raw_path = "/" + config.bucket;
        if (!key.empty()) {
            target.raw_path += '/';
            target.raw_path += key;
        }
    } else {
        target.host = config.bucket + "." + std::string(endpoint);
        target.raw_path = "/" + std::string(key);
    }
    target.scheme_and_host = std::string(scheme) + "://" + target.host;
    return target;
}

S3Client::S3Client(EventLoop& loop, S3Config config)
    : loop_(loop), config_(std::move(config)), multi_(loop) {}

void S3Client::start(const char* method, std::string key, std::string body,
                     Callback<void(Result<Response>)> done) {
    auto fail_later = [this](Callback<void(Result<Response>)> d, Error e) {
        loop_.defer([d = std::move(d), e = std::move(e)]() mutable { d(std::move(e)); });
    };
    ChildSpan span = ChildSpan::start(std::string("S3 ") + method, Span::Kind::Client);
    std::string traceparent;
    if (span.active()) {
        traceparent = "traceparent: " + span.context().traceparent();
        span.set("http.request.method", method);
        span.set("aws.s3.bucket", config_.bucket);
        if (!key.empty()) span.set("aws.s3.key", key);
        done = continue_in(std::move(span), std::move(done),
                           [](ChildSpan& sp, const Result<Response>& r) {
                               if (!r.ok()) {
                                   sp.set("error.message", r.error().message);
                                   return true;
                               }
                               sp.set("http.response.status_code", static_cast<int64_t>(r->status));
                               return r->status >= 500;
                           });
    }
    auto state = std::make_unique<RequestState>();
    try {
        state->what = std::string(method) + " " + quote_value(key.empty() ? config_.bucket : key);
        state->easy.reset(curl_easy_init());
        if (!state->easy) return fail_later(std::move(done), Error::internal("curl_easy_init"));
        state->body = std::move(body);

        S3Target target = s3_target(config_, key);
        std::string amz_date = amz_date_now();
        std::string payload_hash = sha256_hex(state->body);
        SigV4Request request{method,
                             target.raw_path,
                             {},
                             {{"host", target.host},
                              {"x-amz-content-sha256", payload_hash},
                              {"x-amz-date", amz_date}},
                             payload_hash};
        SigV4Signature sig = sign_v4(
            request, {config_.access_key, config_.secret_key, config_.region, "s3"}, amz_date);
        // What was signed is exactly what goes on the wire: the signer's encoded path/query.
        state->url = target.scheme_and_host + sig.canonical_uri;
        if (!sig.canonical_query.empty()) state->url += "?" + sig.canonical_query;

        curl_slist* list = nullptr;
        for (const std::string& line :
             {"Host: " + target.host, "x-amz-date: " + amz_date,
              "x-amz-content-sha256: " + payload_hash, "Authorization: " + sig.authorization,
              // libcurl would wait up to 1 s for "100 Continue" before large PUT bodies.
              std::string("Expect:"), traceparent}) {
            if (line.empty()) continue;  // no trace to propagate (not signed: SigV4 allows that)
            curl_slist* next = curl_slist_append(list, line.c_str());
            if (next == nullptr) {
                curl_slist_free_all(list);
                return fail_later(std::move(done), Error::internal("curl_slist_append"));
            }
            list = next;
        }
        state->headers.reset(list);
    } catch (const std::exception& e) {
        return fail_later(std::move(done), Error::internal(std::string("S3 request: ") + e.what()));
    }

    CURL* easy = state->easy.get();
    curl_easy_setopt(easy, CURLOPT_URL, state->url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, state->headers.get());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout_ms));
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, state->error_buffer);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &write_response);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, state.get());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (std::strcmp(method, "PUT") == 0) {
        curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, &read_body);
        curl_easy_setopt(easy, CURLOPT_READDATA, state.get());
        curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(state->body.size()));
    } else if (std::strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    }

    multi_.add(easy, [state = std::move(state), done = std::move(done),
                      timeout_ms = config_.timeout_ms](Result<CURLcode> outcome) mutable {
        if (!outcome.ok()) return done(Error{outcome.error()});
        CURLcode code = outcome.value();
        if (code == CURLE_OPERATION_TIMEDOUT) {
            return done(Error::unavailable("S3 request timed out after " +
                                           std::to_string(timeout_ms) + " ms (" + state->what +
                                           ")"));
        }
        if (code != CURLE_OK) {
            std::string reason =
                state->error_buffer[0] != '\0' ? state->error_buffer : curl_easy_strerror(code);
            return done(Error::unavailable("S3 " + state->what + " failed: " + reason));
        }
        Response response;
        curl_easy_getinfo(state->easy.get(), CURLINFO_RESPONSE_CODE, &response.status);
        response.body = std::move(state->response);
        done(std::move(response));
    });
}

void S3Client::put_object(std::string key, std::string bytes, Callback<void(Status)> done) {
    std::string what = "PUT " + quote_value(key);
    start("PUT", std::move(key), std::move(bytes),
          [done = std::move(done), what](Result<Response> r) mutable {
              if (!r.ok()) return done(std::move(r).error());
              if (is_success(r->status)) return done(ok_status());
              done(status_error(what, r->status, r->body));
          });
}

void S3Client::get_object(std::string key, Callback<void(Result<std::string>)> done) {
    std::string what = "GET " + quote_value(key);
    start("GET", key, {},
          [done = std::move(done), what, key, bucket = config_.bucket](Result<Response> r) mutable {
              if (!r.ok()) return done(std::move(r).error());
              if (is_success(r->status)) return done(std::move(r->body));
              if (r->status == 404) {
                  if (xml_element(r->body, "Code") == "NoSuchBucket") {
                      return done(Error::not_found("S3 bucket " + quote_value(bucket) +
                                                   " does not exist (NoSuchBucket)"));
                  }
                  return done(
                      Error::not_found("S3 object " + quote_value(key) + " not found (NoSuchKey)"));
              }
              done(status_error(what, r->status, r->body));
          });
}

void S3Client::head_object(std::string key, Callback<void(Result<bool>)> done) {
    std::string what = "HEAD " + quote_value(key);
    start("HEAD", std::move(key), {}, [done = std::move(done), what](Result<Response> r) mutable {
        if (!r.ok()) return done(std::move(r).error());
        if (is_success(r->status)) return done(true);
        if (r->status == 404) return done(false);
        done(status_error(what, r->status, r->body));
    });
}

void S3Client::head_bucket(Callback<void(Status)> done) {
    std::string bucket = config_.bucket;
    start("HEAD", {}, {}, [done = std::move(done), bucket](Result<Response> r) mutable {
        if (!r.ok()) return done(std::move(r).error());
        if (is_success(r->status)) return done(ok_status());
        // HEAD answers carry no body, so the status alone must say what is wrong.
        if (r->status == 404) {
            return done(Error::not_found("S3 bucket " + quote_value(bucket) +
                                         " does not exist (NoSuchBucket)"));
        }
        done(status_error("HEAD bucket " + quote_value(bucket), r->status, r->body));
    });
}

}  // namespace spoke
