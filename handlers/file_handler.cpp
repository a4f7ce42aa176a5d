#include "handlers/file_handler.hpp"

#include <cctype>
#include <memory>
#include <string>

#include "handlers/error_response.hpp"
#include "handlers/exchange_helpers.hpp"
#include "handlers/json_codec.hpp"
#include "handlers/response_cache.hpp"

namespace spoke {
namespace {

std::string lower_trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// True for a "q=0" (or 0.0, 0.00...) parameter list: the client refuses that media type.
bool refused(std::string_view params) {
    size_t q = params.find("q=");
    if (q == std::string_view::npos) return false;
    std::string_view value = params.substr(q + 2);
    value = value.substr(0, value.find(';'));
    const std::string v = lower_trimmed(value);
    return !v.empty() && v.find_first_not_of("0.") == std::string::npos;
}

std::shared_ptr<const CachedResponse> render_file(const ProtoFile& file, const FileEntry& entry,
                                                  FileFormat format) {
    std::string body;
    std::string content_type;
    switch (format) {
        case FileFormat::Json: {
            JsonPtr o(json_object());
            json_object_set_new(o.get(), "path", json_text(file.path).release());
            json_object_set_new(o.get(), "content", json_text(file.content).release());
            json_object_set_new(o.get(), "sha256", json_text(entry.sha256).release());
            body = dump_json(o.get());
            content_type = kJsonContentType;
            break;
        }
        case FileFormat::Text:
            body = file.content;
            content_type = "text/plain; charset=utf-8";
            break;
        case FileFormat::Octet:
            body = file.content;
            content_type = "application/octet-stream";
            break;
    }
    return std::make_shared<const CachedResponse>(
        CachedResponse{std::make_shared<const std::string>(std::move(body)),
                       std::move(content_type), quoted_etag(entry.sha256)});
}

}  // namespace

FileFormat negotiate_file_format(std::optional<std::string_view> accept) {
    if (!accept) return FileFormat::Json;
    std::string_view rest = *accept;
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        const size_t semi = item.find(';');
        const std::string media = lower_trimmed(item.substr(0, semi));
        if (semi != std::string_view::npos && refused(item.substr(semi + 1))) continue;
        if (media == "application/json") return FileFormat::Json;
        if (media == "text/plain") return FileFormat::Text;
        if (media == "application/octet-stream") return FileFormat::Octet;
    }
    return FileFormat::Json;
}

void FileHandler::get(HttpExchange& ex, const RouteParams& params) const {
    const std::string& module = params.get("name");
    const std::string& version = params.get("version");
    const std::string& path = params.get("path");
    const FileFormat format = negotiate_file_format(ex.header("Accept"));
    const bool concrete = version != "latest";
    ex.add_header("Vary", "Accept");
    if (concrete) {
        if (CachedResponsePtr hit =
                services_.cache.find(file_cache_key(module, version, path, format))) {
            return reply_cached(ex, *hit);
        }
    }
    if (reply_if_impossible_name(ex, module, version)) return;
    app_.reader.get(
        module, version,
        [&cache = services_.cache, handle = ex.handle(), format, path,
         requested = concrete ? version : std::string()](Result<VersionSnapshotPtr> snapshot) {
            HttpExchange* ex = handle.get();
            if (!snapshot) {
                if (ex != nullptr) reply_error(*ex, snapshot.error());
                return;
            }
            const VersionSnapshot& s = **snapshot;
            const VersionRecord& r = s.record;
            for (size_t i = 0; i < s.files.size() && i < r.files.size(); ++i) {
                if (s.files[i].path != path) continue;
                auto rendered = render_file(s.files[i], r.files[i], format);
                if (!requested.empty() && requested != r.version) {
                    cache.insert(file_cache_key(r.module_name, requested, path, format), rendered);
                }
                cache.insert(file_cache_key(r.module_name, r.version, path, format), rendered);
                if (ex != nullptr) reply_cached(*ex, *rendered);
                return;
            }
            if (ex != nullptr) {
                reply_error(*ex, Error::not_found("file \"" + path + "\" not found in " +
                                                  r.module_name + "@" + r.version));
            }
        });
}

}  // namespace spoke
