#include "registry/names.hpp"

#include <string>

#include "registry/semver.hpp"

namespace spoke {
namespace {

constexpr size_t kMaxModuleName = 128;
constexpr size_t kMaxVersionName = 100;
constexpr size_t kMaxFilePath = 512;
constexpr std::string_view kProtoSuffix = ".proto";

Status reject(std::string_view what, std::string_view value, std::string_view rule) {
    return Error::bad_request(std::string(what) + " " + quote_value(value) + ": " +
                              std::string(rule));
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        uint32_t cp = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;  // continuation byte first, overlong 0xc0/0xc1, or > U+10FFFF lead
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        // Reject overlong forms, UTF-16 surrogates and code points past U+10FFFF.
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += len;
    }
    return true;
}

Status validate_module_name(std::string_view name) {
    if (name.empty()) return Error::bad_request("module name must not be empty");
    if (name.size() > kMaxModuleName) {
        return reject("module name", name, "longer than 128 characters");
    }
    if (!(name[0] >= 'a' && name[0] <= 'z')) {
        return reject("module name", name, "must start with a lowercase letter a-z");
    }
    for (char c : name) {
        if (!is_lower_alnum(c) && c != '_' && c != '.' && c != '-') {
            return reject("module name", name,
                          "only lowercase letters, digits, '_', '.' and '-' are allowed");
        }
    }
    return ok_status();
}

Status validate_version_name(std::string_view version) {
    if (version.empty()) return Error::bad_request("version must not be empty");
    if (version.size() > kMaxVersionName) {
        return reject("version", version.substr(0, 40), "longer than 100 characters");
    }
    if (version == "latest") {
        return reject("version", version, "\"latest\" is a reserved alias, not a version name");
    }
    if (!parse_semver(version)) {
        return reject("version", version,
                      "not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], optional "
                      "leading 'v')");
    }
    return ok_status();
}

Status validate_file_path(std::string_view path) {
    constexpr std::string_view what = "file path";
    if (path.empty()) return Error::bad_request("file path must not be empty");
    if (path.size() > kMaxFilePath) {
        return reject(what, path.substr(0, 64), "longer than 512 bytes");
    }
    for (unsigned char c : path) {
        if (c == 0) return reject(what, path, "NUL bytes are not allowed");
        if (c < 0x20 || c == 0x7f) return reject(what, path, "control characters are not allowed");
    }
    if (!is_valid_utf8(path)) return reject(what, path, "not valid UTF-8");
    if (path.find('\\') != std::string_view::npos) {
        return reject(what, path, "backslashes are not allowed; use '/'");
    }
    if (path.front() == '/') return reject(what, path, "absolute paths are not allowed");
    if (path.size() <= kProtoSuffix.size() || !path.ends_with(kProtoSuffix)) {
        return reject(what, path, "must end in \".proto\"");
    }
    size_t start = 0;
    while (true) {
        const size_t slash = path.find('/', start);
        const std::string_view segment = path.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (segment.empty()) return reject(what, path, "empty segments (\"//\") are not allowed");
        if (segment == ".") return reject(what, path, "\".\" segments are not allowed");
        if (segment == "..") return reject(what, path, "\"..\" segments are not allowed");
        if (slash == std::string_view::npos) {
            if (segment == kProtoSuffix) return reject(what, path, "file name is empty");
            break;
        }
        start = slash + 1;
    }
    return ok_status();
}

Result<VersionRef> parse_dependency_ref(std::string_view ref) {
    const size_t at = ref.find('@');
    if (at == std::string_view::npos) {
        return Error::bad_request("dependency " + quote_value(ref) +
                                  ": expected \"module@version\"");
    }
    const std::string_view module = ref.substr(0, at);
    const std::string_view version = ref.substr(at + 1);
    if (Status s = validate_module_name(module); !s) {
        return Error::bad_request("dependency " + quote_value(ref) + ": " + s.error().message);
    }
    if (version != "latest") {
        if (Status s = validate_version_name(version); !s) {
            return Error::bad_request("dependency " + quote_value(ref) + ": " + s.error().message);
        }
    }
    return VersionRef{std::string(module), std::string(version)};
}

}  // namespace spoke
