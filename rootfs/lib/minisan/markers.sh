# Fixed boot messages, shared by /init and the boot tests (which grep for
# them): change one here and both follow. Sourced by sh and read by
# appliance/tests/console.py.
MARK_INIT="minisan: init started"
MARK_MODULES="minisan: modules loaded"
MARK_CONFIG="minisan: configuration from"
MARK_ARRAYS="minisan: arrays ready"
MARK_NETWORK="minisan: network up"
MARK_READY="minisan: iSCSI target ready"
MARK_DEGRADED="minisan: DEGRADED"
MARK_ISNS="minisan: iSNS server on"
