// Package rxstamp reads the time the kernel received each UDP datagram
// (SO_TIMESTAMPNS, Linux only), to measure how long datagrams wait in a
// socket's receive buffer before they are read: how far behind a reader is.
// Linux turns stamping on a moment after the first socket asks for it;
// a datagram received before then reads as if it had not waited.
package rxstamp
