# bash completion for lbenroll                                  -*- shell-script -*-
# Generated from lbenroll's option table by `make docs` (tools/docs.py); do not edit.
# Offers the options this version supports; refused, retired and deprecated spellings are left
# out because completing them only leads to an error or a warning.

_lbenroll()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} command=
    # "=" breaks words, so "--skip=pu" arrives as "--skip" "=" "pu".
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
    if [[ $COMP_CWORD -gt 1 ]]; then
        case ${COMP_WORDS[1]} in
            diagnose|repair) command=${COMP_WORDS[1]} ;;
        esac
    fi
    # The value of an option: complete it, or offer nothing for free-form values.
    case "$command $prev" in
        " -s"|" --server") COMPREPLY=($(compgen -A hostname -- "$cur")); return ;;
        " -l"|" --login") return ;;
        " -p"|" --password") return ;;
        " --password-file") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        " --fqdn") COMPREPLY=($(compgen -A hostname -- "$cur")); return ;;
        " --ip") return ;;
        " -t"|" --timeout") return ;;
        " -o"|" --organization") return ;;
        " -L"|" --location") return ;;
        " -g"|" --hostgroup") return ;;
        " -O"|" --operatingsystem") return ;;
        " --partitiontable") return ;;
        " -c"|" --comment") return ;;
        " -a"|" --activationkey") return ;;
        " -r"|" --release") return ;;
        " -S"|" --subscription-manager-args") return ;;
        " --enablerepos") return ;;
        " --download-method") COMPREPLY=($(compgen -W "http https" -- "$cur")); return ;;
        " --puppet-server") COMPREPLY=($(compgen -A hostname -- "$cur")); return ;;
        " --puppet-ca-server") COMPREPLY=($(compgen -A hostname -- "$cur")); return ;;
        " --puppet-ca-port") return ;;
        " --rex-user") return ;;
        " --rex-proxies") return ;;
        " --rex-urlkeyfile") return ;;
        " --rex-authpath") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        " --skip") COMPREPLY=($(compgen -W "foreman puppet migration prereq-update katello-agent remove-obsolete-packages puppet-enable katello-host-tools" -- "$cur")); return ;;
        " --install-packages") return ;;
        " --deps-repository-url") return ;;
        " --deps-repository-gpg-key") return ;;
        " --root") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
        " --ca-fingerprint") return ;;
        " --ca-file") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        " --puppet-package") COMPREPLY=($(compgen -W "puppet-agent openvox-agent" -- "$cur")); return ;;
        " --container-registry-proxies") return ;;
        " --log-file") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        "diagnose -s"|"diagnose --server") COMPREPLY=($(compgen -A hostname -- "$cur")); return ;;
        "diagnose --proxies") return ;;
        "diagnose --foreman") return ;;
        "diagnose -l"|"diagnose --login") return ;;
        "diagnose -p"|"diagnose --password") return ;;
        "diagnose --password-file") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        "diagnose --root") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
        "diagnose -t"|"diagnose --timeout") return ;;
        "diagnose --ca-fingerprint") return ;;
        "repair --config") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
        "repair --root") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
        "repair --log-file") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    local opts
    case $command in
        "") opts='-s --server -l --login -p --password --password-file --fqdn --ip -t --timeout -v --verbose -o --organization -L --location -g --hostgroup -O --operatingsystem --partitiontable -c --comment --add-domain --unmanaged --force-content-source --content-only -a --activationkey -r --release -S --subscription-manager-args -f --force --ignore-registration-failures --preserve-rhsm-proxy --enablerepos --download-method --puppet-server --puppet-ca-server --puppet-ca-port --puppet-noop --rex --rex-user --rex-proxies --rex-urlkeyfile --rex-apikeys --rex-authpath --skip -u --update --install-packages --install-katello-agent -R --remove-obsolete-packages --no-remove-obsolete-packages --deps-repository-url --deps-repository-gpg-key --remove --new-capsule --dry-run --json --root --ca-fingerprint --ca-file --rotate-ca --puppet-package --preserve-manage-repos --container-registry-certs --container-registry-proxies --rex-pull --insights --log-file --version -h --help' ;;
        diagnose) opts='-s --server --host-only --proxies --foreman -l --login -p --password --password-file --root -t --timeout --json --ca-fingerprint -h --help' ;;
        repair) opts='--config --root --json --dry-run -v --verbose --log-file -h --help' ;;
    esac
    if [[ $cur != -* ]]; then
        if [[ -z $command && $COMP_CWORD -eq 1 ]]; then
            COMPREPLY=($(compgen -W "diagnose repair" -- "$cur"))
        fi
        [[ -n $cur ]] && return
    fi
    COMPREPLY+=($(compgen -W "$opts" -- "$cur"))
} &&
complete -F _lbenroll lbenroll
