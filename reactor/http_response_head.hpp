#pragma once
// Formatting of HTTP/1.1 response heads: the status line, the headers every reply carries and the
// Date header (formatted once a second per thread, not once a request).

#include <cstddef>
#include <string>
#include <string_view>

namespace spoke {

const char* reason_phrase(int status);

// "HTTP/1.1 <status> <reason>\r\nDate: ...\r\nContent-Length: <n>\r\n" (no final CRLF).
void append_status_and_framing(std::string& out, int status, size_t content_length);
// "<name>: <value>\r\n"; CR and LF in either are dropped (a handler never splits the head).
void append_header(std::string& out, std::string_view name, std::string_view value);

}  // namespace spoke
