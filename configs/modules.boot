# Modules /init loads at every boot before it looks for hardware (the rest
# come through modalias). Names from configs/modules.list.
virtio_pci
sd_mod
# the boot medium is usually a USB stick: its drivers must be there before
# the stick shows up, whatever order the buses are found in
xhci_pci
ehci_pci
ohci_pci
uhci_hcd
usb-storage
uas
vfat
nls_cp437
nls_iso8859-1
nls_utf8
nls_ascii
md-mod
raid0
raid1
raid10
raid456
crc32c_generic
