/*
 * map_file PATH: open PATH read-only, map its first page shared, close the fd (only the mapping remains),
 * print READY and sleep until killed. Tests use it as "a process that still maps this file".
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: map_file PATH\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY | O_NOFOLLOW);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 1;
  }
  close(fd);
  printf("READY\n");
  fflush(stdout);
  for (;;) pause();
}
