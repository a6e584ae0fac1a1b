package io.pgingest.state;

/** A state store could not be opened, read or written; the message names the store and the operation. */
public class StateStoreException extends RuntimeException {

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
