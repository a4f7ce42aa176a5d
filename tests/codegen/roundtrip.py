"""Imports the Python that Spoke generated for the fixture (with Debian's python3-protobuf),
parses the bytes the C++ round trip wrote (argv[1]) and round-trips a message of its own.
With argv[2] == "grpc", also imports the gRPC stubs and makes a real call over a unix socket."""

import os
import sys
import tempfile

from google.protobuf import timestamp_pb2

from fixture.app.v1 import order_pb2
from fixture.base.v1 import address_pb2, money_pb2

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("roundtrip.py: FAILED:", what, file=sys.stderr)


def sample_order():
    return order_pb2.Order(
        id="order-2",
        total=money_pb2.Money(currency_code="USD", units=7, nanos=250000000),
        ship_to=address_pb2.Address(city="Lyon", country="FR"),
        created_at=timestamp_pb2.Timestamp(seconds=1700000001),
        items=[order_pb2.LineItem(sku="a", quantity=2, unit_price=money_pb2.Money(units=3))],
        labels={"k": "v"},
        status=order_pb2.Order.STATUS_OPEN,
        card_token="tok",
    )


def from_cpp(path):
    with open(path, "rb") as f:
        order = order_pb2.Order.FromString(f.read())
    check(order.id == "order-1", "cpp id")
    check(order.total.currency_code == "EUR" and order.total.units == 42, "cpp Money")
    check(order.total.nanos == 500000000, "cpp nanos")
    check(order.ship_to.city == "Berlin" and order.ship_to.country == "DE", "cpp Address")
    check(not order.ship_to.HasField("country"), "proto2 default stays unset")
    check(order.created_at.seconds == 1700000000, "cpp Timestamp")
    check(order.items[0].sku == "sku-7" and order.items[0].unit_price.units == 14, "cpp items")
    check(dict(order.labels) == {"channel": "web"}, "cpp map")
    check(order.status == order_pb2.Order.STATUS_SHIPPED, "cpp enum")
    check(order.WhichOneof("payment") == "invoice_id", "cpp oneof")
    check(order.HasField("note"), "cpp proto3 optional")


def round_trip():
    order = sample_order()
    parsed = order_pb2.Order.FromString(order.SerializeToString())
    check(parsed == order, "python round trip equal")
    check(parsed.total.units == 7 and parsed.ship_to.country == "FR", "python base messages")
    check(parsed.WhichOneof("payment") == "card_token", "python oneof")
    check(not parsed.HasField("note"), "python proto3 optional absent")
    check(order_pb2.DESCRIPTOR.name == "fixture/app/v1/order.proto", "python descriptor")
    check("OrderService" in order_pb2.DESCRIPTOR.services_by_name, "python service descriptor")


def grpc_call():
    import grpc
    from concurrent import futures

    from fixture.app.v1 import order_pb2_grpc

    class Service(order_pb2_grpc.OrderServiceServicer):
        def GetOrder(self, request, context):
            order = sample_order()
            order.id = request.id
            return order

    with tempfile.TemporaryDirectory() as d:
        address = "unix:" + os.path.join(d, "grpc.sock")
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        order_pb2_grpc.add_OrderServiceServicer_to_server(Service(), server)
        server.add_insecure_port(address)
        server.start()
        try:
            with grpc.insecure_channel(address) as channel:
                stub = order_pb2_grpc.OrderServiceStub(channel)
                reply = stub.GetOrder(order_pb2.GetOrderRequest(id="by-grpc"), timeout=10)
                check(reply.id == "by-grpc" and reply.total.units == 7, "grpc reply")
        finally:
            server.stop(None)


from_cpp(sys.argv[1])
round_trip()
if len(sys.argv) > 2 and sys.argv[2] == "grpc":
    grpc_call()
if failures:
    sys.exit(1)
print("python round trip ok" + (" (with a gRPC call)" if len(sys.argv) > 2 else ""))
