"""Advertising the appliance on the meeting LAN with zeroconf (mDNS/DNS-SD).

Tablets and the admin's laptop find it as `_https._tcp` "Yishi 议事 <room>"; the TXT record
carries the path and version. The advertisement is withdrawn when the server stops.
"""

import logging
import socket

from zeroconf import IPVersion, ServiceInfo, Zeroconf

SERVICE_TYPE = "_https._tcp.local."
log = logging.getLogger(__name__)


def service_name(room):
    # DNS-SD instance names are UTF-8 labels of at most 63 bytes.
    name = f"Yishi 议事 {room}".strip()
    while len(name.encode("utf-8")) > 63:
        name = name[:-1]
    return name


class Advertiser:
    def __init__(self, room, address, port, version, path="/"):
        self.info = ServiceInfo(
            SERVICE_TYPE,
            f"{service_name(room)}.{SERVICE_TYPE}",
            addresses=[socket.inet_aton(address)],
            port=port,
            properties={"path": path, "version": version},
            server=f"yishi-{socket.gethostname()}.local.",
        )
        self.address = address
        self.zc = None

    def start(self):
        self.zc = Zeroconf(interfaces=[self.address], ip_version=IPVersion.V4Only)
        self.zc.register_service(self.info, allow_name_change=True)
        log.info("advertising %s on %s:%s", self.info.name, self.address, self.info.port)
        return self

    def stop(self):
        if self.zc is not None:
            self.zc.unregister_service(self.info)
            self.zc.close()
            self.zc = None
