# minisan: the one entry point. Build output goes to out/.
#   make run     build the appliance and boot it in QEMU, iSCSI on 127.0.0.1:3260
#   make check   the whole test suite; ends with "N passed, N failed"
#   make         build out/bin/minisand (static, musl)
#   make image   the appliance image out/image/minisan.img (BIOS and UEFI)
#   make run-daemon  only minisand, on the host, on 127.0.0.1:3260
#   make deps    install missing Debian packages (apt-get)
#   make fuzz    run every libFuzzer target (FUZZ_SECONDS each, default 120)
#   make bench   minisand vs tgt on loopback (BENCH_SECONDS each, default 10)
#   make san     the VM test SAN: two appliances, iSNS, an initiator VM
OUT := $(CURDIR)/out
DAEMON := $(MAKE) -C target-daemon OUT=$(OUT)

.PHONY: all deps daemon asan unit-tests fuzz bench check run run-daemon image \
	test-initiator san clean distclean

all: daemon

deps:
	@ci/deps.sh

daemon: deps
	@$(DAEMON) daemon

asan: deps
	@$(DAEMON) asan

unit-tests: deps
	@$(DAEMON) unit-tests

# FUZZ_SECONDS per target (default 120)
fuzz: deps
	@$(DAEMON) fuzzers
	@ci/fuzz.sh $${FUZZ_SECONDS:-120}

# BENCH_SECONDS per workload and target (default 10); results in out/bench/
bench: deps image
	@$(DAEMON) daemon bench-tools
	@ci/bench.sh

check: deps
	@ci/check.sh

run-daemon: daemon
	@ci/run-daemon.sh

# The appliance pipeline (appliance/stages, one way; each stage's output is
# its stamp, and its prerequisites are exactly its inputs).
STAGES := appliance/stages
STAGE_LIB := appliance/lib.sh
VERSIONS := configs/versions.mk

image: $(OUT)/image/minisan.img

run: image
	@appliance/run-vm.sh $(OUT)/vm

$(OUT)/bin/minisand: deps FORCE
	@$(DAEMON) daemon

$(OUT)/kernel/RELEASE: $(VERSIONS) $(STAGES)/10-kernel.sh $(STAGE_LIB) | deps
	@$(STAGES)/10-kernel.sh $(OUT)

$(OUT)/mdadm/mdadm: $(VERSIONS) $(STAGES)/15-mdadm.sh $(STAGE_LIB) | deps
	@$(STAGES)/15-mdadm.sh $(OUT)

$(OUT)/isnsd/isnsd: $(VERSIONS) $(STAGES)/16-isnsd.sh $(STAGE_LIB) | deps
	@$(STAGES)/16-isnsd.sh $(OUT)

$(OUT)/modules/MANIFEST: $(OUT)/kernel/RELEASE configs/modules.list \
		$(STAGES)/20-modules.sh $(STAGE_LIB)
	@$(STAGES)/20-modules.sh $(OUT)

ROOTFS_FILES := $(shell find rootfs -type f 2>/dev/null)
$(OUT)/rootfs.MANIFEST: $(OUT)/bin/minisand $(OUT)/mdadm/mdadm $(OUT)/isnsd/isnsd \
		$(OUT)/modules/MANIFEST $(ROOTFS_FILES) $(VERSIONS) \
		configs/modules.boot configs/minisand.conf \
		configs/appliance.conf $(STAGES)/30-rootfs.sh $(STAGE_LIB)
	@$(STAGES)/30-rootfs.sh $(OUT)

$(OUT)/initramfs/initramfs.img: $(OUT)/rootfs.MANIFEST \
		$(STAGES)/40-initramfs.sh $(STAGE_LIB)
	@$(STAGES)/40-initramfs.sh $(OUT)

$(OUT)/image/minisan.img: $(OUT)/kernel/RELEASE \
		$(OUT)/initramfs/initramfs.img configs/cmdline \
		configs/minisand.conf configs/appliance.conf \
		$(STAGES)/50-image.sh $(STAGE_LIB)
	@$(STAGES)/50-image.sh $(OUT)

# The appliance tests' initiator VM (test tooling, not in the image).
INITIATOR_FILES := $(wildcard appliance/tests/initiator/*)
$(OUT)/initiator/initramfs.img: $(OUT)/rootfs.MANIFEST $(OUT)/kernel/RELEASE \
		$(OUT)/mdadm/mdadm \
		$(INITIATOR_FILES) $(STAGE_LIB)
	@appliance/tests/initiator/build.sh $(OUT)

test-initiator: $(OUT)/initiator/initramfs.img

# The VM test SAN: two appliances, iSNS, a kernel-initiator VM mirroring
# across them (docs/san.md). SAN_KEEP=1 keeps it up at the end.
san: deps image test-initiator
	@python3 appliance/tests/070_san.py

FORCE:

# clean keeps the downloads (out/dl) and the VM disks (out/vm)
clean:
	@$(DAEMON) clean
	rm -rf $(OUT)/kernel $(OUT)/mdadm $(OUT)/isnsd $(OUT)/modules $(OUT)/rootfs \
		$(OUT)/rootfs.MANIFEST $(OUT)/initramfs $(OUT)/image \
		$(OUT)/initiator $(OUT)/apptest

distclean:
	rm -rf $(OUT)
