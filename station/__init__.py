"""The consultation station agent, run on the patient's side (``hocovisio-station``): it
watches the USB bus, reports the catalogued devices to the consultation and sends their
picture and sound through the SFU. A program of its own: it speaks to the service only over
HTTP and the protoo socket, and imports nothing of ``app``.
"""
