# make            build dist/ (after npm ci)
# make install    install daxplan as a system tool (scripts/install.sh says where)
# make uninstall  remove what make install put there
# Variables: DESTDIR, PREFIX (/usr/local), BINDIR, LIBDIR, MANDIR, BASHCOMPDIR,
# SYSTEMDUNITDIR (/usr/lib/systemd/system), UDEVRULESDIR (/usr/lib/udev/rules.d), DAXPLAN_NODE.
export DESTDIR PREFIX BINDIR LIBDIR MANDIR BASHCOMPDIR SYSTEMDUNITDIR UDEVRULESDIR DAXPLAN_NODE

all:
	npm run build

install:
	scripts/install.sh

uninstall:
	scripts/install.sh --uninstall

.PHONY: all install uninstall
