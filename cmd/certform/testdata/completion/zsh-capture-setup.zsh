# Sourced by the interactive zsh zsh-capture.zsh types into: a quiet
# prompt, compinit over $CAPTURE_FPATH, Tab bound to complete-word, and a
# compadd that prints the candidates it adds before adding them.
PROMPT= RPROMPT= PS2=
unsetopt prompt_sp prompt_cr
unset zle_bracketed_paste
fpath=($CAPTURE_FPATH $fpath)
autoload -Uz compinit && compinit -u -D
bindkey '^I' complete-word
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd() {
  # -O, -A and -D fill arrays for the caller; they add nothing to the list.
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a hits
  builtin compadd -A hits "$@"
  local h
  for h in $hits; do
    print -rn -- "cand:$h"$'\r\n'
  done
  builtin compadd "$@"
}
__capture_mark() { print -rn -- $'\0\r\n' }
compprefuncs=(__capture_mark)
comppostfuncs=(__capture_mark exit)
