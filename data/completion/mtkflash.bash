# bash completion for mtkflash and mtkemu.
# Partition names come from the last `mtkflash printgpt`, which leaves them in
# ${XDG_CACHE_HOME:-~/.cache}/mtkflash/partitions (one plain name a line).

_mtkflash_commands="detect doctor explain printgpt read write erase readback reboot plan flash batch recover inspect backup
	service log report manifest keygen da-info policy history"
_mtkflash_globals="--port --da --wait --json -v -vv -vvv -q --after --no-speed-switch --session-dir --history --help
	--version"

# The options of one command (cli/cmd_*.c).
_mtkflash_command_options()
{
	case $1 in
	read) echo "--region --offset --length --preloader --force --resume --chunk --retries --no-retry" ;;
	write) echo "--verify --preloader --allow-bootloader --allow-protected --allow-ptable" ;;
	erase | printgpt) echo "--preloader" ;;
	readback) echo "--preloader --force" ;;
	reboot) echo "--mode" ;;
	plan) echo "--scene --mode --only --skip --override --trust --preloader --policy" ;;
	flash) echo "--scene --mode --only --skip --override --passphrase-fd --trust --yes --audit --report
		--preloader --expendable --policy" ;;
	batch) echo "--package --ports --max --count --policy --audit-dir --scene --mode --only --skip --trust --yes
		--preloader --expendable" ;;
	recover) echo "--finish --rollback --yes --preloader --audit" ;;
	inspect) echo "--storage --trust" ;;
	backup) echo "--only --preloader --device --force --compress --yes --allow-foreign --passphrase-fd" ;;
	service) echo "--passphrase-fd" ;;
	log) echo "--trust" ;;
	report) echo "--out --force --log --trust" ;;
	manifest) echo "--key --comment --trust" ;;
	keygen) echo "--out --comment" ;;
	policy) echo "--out --force --key --trust" ;;
	history) echo "--device --since --result --limit" ;;
	esac
}

_mtkflash_partitions()
{
	local cache=${XDG_CACHE_HOME:-$HOME/.cache}/mtkflash/partitions line
	[[ -r $cache ]] || return
	while IFS= read -r line; do
		[[ $line =~ ^[A-Za-z0-9_.-]+$ ]] && printf '%s\n' "$line"
	done <"$cache"
}

# Sets COMPREPLY to the words of $1 that start with $2 (none holds a space).
_mtkflash_offer()
{
	COMPREPLY=($(compgen -W "$1" -- "$2"))
}

_mtkflash_files()
{
	local IFS=$'\n'
	COMPREPLY=($(compgen -f -- "$1"))
	compopt -o filenames 2>/dev/null
}

# A value for the option $1, if it takes one: 0 when handled.
_mtkflash_option_value()
{
	local prev=$1 cur=$2
	case $prev in
	--port) _mtkflash_offer "auto usb emu:mt6737 emu:mt6765 serial:" "$cur"
		[[ $cur == /* || $cur == serial:* ]] && _mtkflash_files "${cur#serial:}" ;;
	--after) _mtkflash_offer "stay reboot poweroff" "$cur" ;;
	--mode) _mtkflash_offer "quick safe service reboot poweroff" "$cur" ;;
	--scene) _mtkflash_offer "download upgrade format-all" "$cur" ;;
	--result) _mtkflash_offer "verified failed rolled-back refused" "$cur" ;;
	--history) _mtkflash_offer "postgresql://" "$cur"
		[[ $cur == /* ]] && _mtkflash_files "$cur" ;;
	--region) _mtkflash_offer "boot1 boot2 rpmb user" "$cur" ;;
	--only | --skip) _mtkflash_offer "$(_mtkflash_partitions)" "$cur" ;;
	--ports) _mtkflash_offer "auto" "$cur"
		[[ $cur == /* || $cur == serial:* ]] && _mtkflash_files "${cur##*[,:]}" ;;
	--wait | --offset | --length | --passphrase-fd | --comment | --device | --max | --count | --since | \
		--limit) COMPREPLY=() ;;
	--da | --session-dir | --preloader | --override | --trust | --key | --out | --storage | --package | --policy | \
		--audit-dir) _mtkflash_files "$cur" ;;
	*) return 1 ;;
	esac
	return 0
}

_mtkflash()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd="" operands=0 i w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--port | --da | --wait | --after | --session-dir | --preloader | --region | --offset | --length | \
			--mode | --scene | --only | --skip | --override | --trust | --key | --out | --comment | \
			--storage | --device | --passphrase-fd | --package | --ports | --max | --count | --policy | \
			--audit-dir | --history | --since | --result | --limit) ((i++)) ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=$w; else ((operands++)); fi ;;
		esac
	done
	_mtkflash_option_value "$prev" "$cur" && return
	if [[ $cur == -* ]]; then
		_mtkflash_offer "$_mtkflash_globals $(_mtkflash_command_options "$cmd")" "$cur"
		return
	fi
	if [[ -z $cmd ]]; then
		_mtkflash_offer "$_mtkflash_commands" "$cur"
		return
	fi
	case $cmd:$operands in
	read:0 | write:0 | erase:0) _mtkflash_offer "$(_mtkflash_partitions)" "$cur" ;;
	backup:0) _mtkflash_offer "full create list verify restore" "$cur" ;;
	manifest:0) _mtkflash_offer "create verify" "$cur" ;;
	service:0) _mtkflash_offer "set-passphrase check" "$cur" ;;
	log:0) _mtkflash_offer "verify show" "$cur" ;;
	report:0) _mtkflash_offer "verify" "$cur"
		_mtkflash_files "$cur" ;;
	policy:0) _mtkflash_offer "init sign check" "$cur" ;;
	history:0) _mtkflash_offer "show" "$cur" ;;
	backup:1) _mtkflash_files "$cur" ;; # backup full DIR, backup restore DIR
	detect:* | doctor:* | explain:* | printgpt:* | reboot:* | erase:* | backup:* | service:* | batch:* | history:*) COMPREPLY=() ;;
	*) _mtkflash_files "$cur" ;;
	esac
}

_mtkemu()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	--chip) _mtkflash_offer "$(mtkemu --list 2>/dev/null | awk '{print $1}')" "$cur" ;;
	--mode) _mtkflash_offer "brom preloader" "$cur" ;;
	--state | --link | --scatter | --out | --usb | --auth-key | --key) _mtkflash_files "$cur" ;;
	*) if [[ $cur == -* ]]; then
		_mtkflash_offer "--chip --state --link --usb --mode --faults --secure --auth-key --listen-ms
			--preloader-model --list --help" "$cur"
	elif ((COMP_CWORD == 1)); then
		_mtkflash_offer "provision mkfirmware boot-check mkauth bench" "$cur"
	fi ;;
	esac
}

complete -F _mtkflash mtkflash
complete -F _mtkemu mtkemu
