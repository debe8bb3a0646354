"""Extensions created once and bound to the app in create_app()."""
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from api.rest import CityApi
from engine.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
rest = CityApi()
