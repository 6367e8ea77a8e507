# Completes a command line in a real interactive zsh, with compinit and the
# completion functions of FPATH_DIR first in $fpath, and prints every
# candidate the completion system offered, one a line.
#
#   zsh -f zsh-capture.zsh FPATH_DIR 'certform pl'
#
# zle runs only on a terminal, so the shell runs on a pseudo-terminal
# (zsh/zpty); the line is typed followed by a Tab. zsh-capture-setup.zsh
# makes compadd print each candidate it is given and completion end the
# shell, so reading stops when that shell exits.
zmodload zsh/zpty || { print -u2 'zsh-capture: zsh/zpty is missing'; exit 2 }
if (( $# != 2 )); then
  print -u2 'usage: zsh -f zsh-capture.zsh FPATH_DIR LINE'
  exit 2
fi
zpty capture zsh -f -i
zpty -w capture "CAPTURE_FPATH=${(q)1}; source ${(q)${0:A:h}}/zsh-capture-setup.zsh"
zpty -w capture "$2"$'\t'
# Between the two NUL lines the setup prints are the candidates.
integer between=0
while zpty -r capture line; do
  for l in "${(@f)line}"; do
    while [[ $l == *$'\r' ]]; do l=${l%$'\r'}; done
    # The first NUL follows the echo of the typed line.
    if [[ $l == *$'\0' ]]; then
      (( between = !between ))
    elif (( between )) && [[ $l == cand:* ]]; then
      print -r -- "${l#cand:}"
    fi
  done
done
