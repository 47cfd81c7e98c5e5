#!/bin/sh
set -eu
echo "hello" > /tmp/out

exit 0
