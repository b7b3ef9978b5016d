"""The meeting network as the appliance sees it: which mode it was provisioned in (the Pi's own
radio, a USB adapter, or an external access point), how many tablets are on it against that
mode's known limit, and the air-gap watchdog's findings (a second DHCP server, an IPv6 router,
a gateway or a DNS server that is not the appliance).
"""
