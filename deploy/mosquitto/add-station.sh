#!/bin/sh
# add-station.sh PASSWD STATION_ID — adds (or resets) a station's broker account in the
# Mosquitto password file PASSWD, with a new random password, and prints the password once
# on standard output for the station's installer. The username is the station id, which the
# shipped ACL (deploy/acl: pattern write stations/%u/#) turns into "may publish only under
# stations/<id>/". Reload the broker afterwards (kill -HUP, or docker compose kill -s HUP
# mosquitto).
#
#   deploy/mosquitto/add-station.sh secrets/passwd LC-AQ-01 > LC-AQ-01.password
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 PASSWD STATION_ID" >&2
	exit 2
fi
passwd=$1 id=$2
# The registry's station id syntax; it also keeps MQTT wildcards (+ #) and / out of the
# username, which Mosquitto would refuse to substitute for %u.
if ! printf '%s' "$id" | grep -Eq '^[A-Za-z0-9_.-]{1,64}$'; then
	echo "$0: station id $id does not match [A-Za-z0-9_.-]{1,64}" >&2
	exit 1
fi
case $id in
quantrac | stationsim)
	echo "$0: $id is a service account in deploy/acl, not a station" >&2
	exit 1
	;;
esac
umask 077
[ -e "$passwd" ] || : >"$passwd"
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
mosquitto_passwd -b "$passwd" "$id" "$password"
printf '%s\n' "$password"
