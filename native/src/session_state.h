/*
 * session_state.h — the session's state memory for Variable nodes (session_state.c).
 */
#ifndef PML_SESSION_STATE_H
#define PML_SESSION_STATE_H

#include "session.h"

/* Allocates and fills one block per Variable node (s->state_mem). */
pml_status pml_session_state_create(pml_session *s);
/* Every variable back to its initial value. */
void pml_session_state_reset(pml_session *s);
void pml_session_state_free(pml_session *s);

#endif
