"""Protobuf message classes built from descriptors in a private pool.

The wire schemas we read (Prometheus remote_write 1.0 and 2.0, Loki push) are small and stable,
so they are declared field by field here instead of shipping generated code or needing protoc.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
# (name, number, type, repeated, message type name or "") and, for a oneof member, its index.
Field = tuple[str, int, int, bool, str] | tuple[str, int, int, bool, str, int]


class Schema:
    """One proto3 file: declare its messages, then ask for a message class."""

    def __init__(self, file_name: str, package: str) -> None:
        self._package = package
        self._file = descriptor_pb2.FileDescriptorProto(name=file_name, package=package,
                                                        syntax="proto3")

    def message(self, name: str, fields: list[Field], oneofs: tuple[str, ...] = ()) -> None:
        msg = self._file.message_type.add(name=name)
        for oneof in oneofs:
            msg.oneof_decl.add(name=oneof)
        for fname, number, kind, repeated, type_name, *oneof_index in fields:
            f = msg.field.add(name=fname, number=number, type=kind,
                              label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
            if type_name:
                f.type_name = f".{self._package}.{type_name}"
            if oneof_index:
                f.oneof_index = oneof_index[0]

    def message_class(self, name: str) -> Any:
        pool = descriptor_pool.DescriptorPool()
        pool.Add(self._file)
        return message_factory.GetMessageClass(
            pool.FindMessageTypeByName(f"{self._package}.{name}"))
