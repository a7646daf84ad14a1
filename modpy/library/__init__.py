"""mod_python's library as handlers import it: apache, util (forms),
Cookie, Session.  Exposed as mod_python.X by the mod_python package."""
