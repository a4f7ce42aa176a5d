// Builds an app Order that references base messages and a well-known type, serializes it,
// parses it back and checks every field; writes the bytes to argv[1] for the Python side.
// Compiled by run.sh against the C++ that Spoke generated for the fixture.

#include <google/protobuf/util/message_differencer.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "fixture/app/v1/order.pb.h"

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "roundtrip: FAILED: %s\n", what);
        ++failures;
    }
}

}  // namespace

int main(int argc, char** argv) {
    GOOGLE_PROTOBUF_VERIFY_VERSION;
    using fixture::app::v1::Order;

    Order order;
    order.set_id("order-1");
    order.mutable_total()->set_currency_code("EUR");
    order.mutable_total()->set_units(42);
    order.mutable_total()->set_nanos(500000000);
    order.mutable_ship_to()->set_street("Hauptstr. 1");
    order.mutable_ship_to()->set_city("Berlin");
    order.mutable_created_at()->set_seconds(1700000000);
    auto* item = order.add_items();
    item->set_sku("sku-7");
    item->set_quantity(3);
    item->mutable_unit_price()->set_currency_code("EUR");
    item->mutable_unit_price()->set_units(14);
    (*order.mutable_labels())["channel"] = "web";
    order.set_status(Order::STATUS_SHIPPED);
    order.set_invoice_id("inv-9");
    order.set_note("");  // proto3 optional: present although empty

    std::string bytes;
    check(order.SerializeToString(&bytes), "serialize");
    Order parsed;
    check(parsed.ParseFromString(bytes), "parse");
    check(google::protobuf::util::MessageDifferencer::Equals(order, parsed), "equal after parse");
    check(parsed.total().units() == 42 && parsed.total().currency_code() == "EUR", "base Money");
    check(parsed.ship_to().city() == "Berlin", "base Address");
    check(parsed.ship_to().country() == "DE" && !parsed.ship_to().has_country(),
          "proto2 default from the base module");
    check(parsed.created_at().seconds() == 1700000000, "well-known Timestamp");
    check(parsed.items_size() == 1 && parsed.items(0).unit_price().units() == 14, "LineItem");
    check(parsed.labels().at("channel") == "web", "map");
    check(parsed.status() == Order::STATUS_SHIPPED, "enum");
    check(parsed.payment_case() == Order::kInvoiceId && parsed.invoice_id() == "inv-9", "oneof");
    check(parsed.has_note(), "proto3 optional presence");
    const auto* file = Order::descriptor()->file();
    check(file->name() == "fixture/app/v1/order.proto", "file name");
    check(file->dependency_count() == 3, "imports");
    check(file->FindServiceByName("OrderService") != nullptr, "service descriptor");

    if (argc > 1) {
        std::ofstream out(argv[1], std::ios::binary);
        out << bytes;
        check(static_cast<bool>(out), "write the bytes for Python");
    }
    if (failures == 0) std::printf("cpp round trip ok (%zu bytes)\n", bytes.size());
    return failures == 0 ? 0 : 1;
}
