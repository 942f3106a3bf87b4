/*
 * The sandbox ("pause") container of every pod on the local cluster: it holds
 * the pod's namespaces, reaps orphaned children (it is PID 1 of the pod when
 * process namespaces are shared) and exits on SIGTERM or SIGINT. Built
 * statically into a FROM-scratch image by scripts/images/pause-image.sh, so
 * the cluster needs no registry.k8s.io.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int signo) {
  (void)signo;
  _exit(0);
}

static void on_child(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0 || sigaction(SIGCHLD, &child, NULL) < 0) {
    return 1;
  }
  for (;;) pause();
}
