// evhttp_static: the smallest libevent evhttp server that answers every request with one fixed
// body. It is the ceiling for anything built on evhttp 2.1, measured in the same run as Spoke.
// usage: evhttp_static PORT BODY_FILE

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace {

std::string body;

void on_request(evhttp_request* req, void*) {
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json; charset=utf-8");
    evbuffer* out = evhttp_request_get_output_buffer(req);
    evbuffer_add_reference(out, body.data(), body.size(), nullptr, nullptr);
    evhttp_send_reply(req, 200, "OK", nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: evhttp_static PORT BODY_FILE\n");
        return 2;
    }
    std::ifstream in(argv[2], std::ios::binary);
    body.assign(std::istreambuf_iterator<char>(in), {});
    event_config* cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
    event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    event_base* base = event_base_new_with_config(cfg);
    evhttp* http = evhttp_new(base);
    evhttp_set_gencb(http, on_request, nullptr);
    if (evhttp_bind_socket(http, "127.0.0.1", static_cast<uint16_t>(std::atoi(argv[1]))) != 0) {
        std::fprintf(stderr, "cannot bind\n");
        return 1;
    }
    event_base_dispatch(base);
    return 0;
}
